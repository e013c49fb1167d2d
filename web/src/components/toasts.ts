import { reactive } from 'vue';

export interface Toast {
  readonly id: number;
  readonly kind: 'success' | 'error' | 'info';
  readonly message: string;
}

let nextId = 1;
/** The toasts on screen; `ToastHost` renders them. */
export const toasts = reactive<Toast[]>([]);

function push(kind: Toast['kind'], message: string, ms: number): void {
  const id = nextId++;
  toasts.push({ id, kind, message });
  setTimeout(() => dismissToast(id), ms);
}

export function dismissToast(id: number): void {
  const index = toasts.findIndex((toast) => toast.id === id);
  if (index >= 0) toasts.splice(index, 1);
}

/** Short notices: successes fade quickly, errors stay long enough to read. */
export const toast = {
  success: (message: string) => push('success', message, 3500),
  info: (message: string) => push('info', message, 4000),
  error: (message: string) => push('error', message, 9000),
};
