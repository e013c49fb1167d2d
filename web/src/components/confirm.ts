import { shallowRef } from 'vue';

export interface ConfirmRequest {
  readonly title: string;
  /** What will happen, naming what is removed. */
  readonly message: string;
  /** Items listed under the message: the things that go away. */
  readonly items?: readonly string[];
  readonly confirmLabel: string;
  readonly danger?: boolean;
  /** When set, the person types this (e.g. the instance name) to enable the button. */
  readonly typeToConfirm?: string;
  /** An optional checkbox offered with the question (e.g. "also delete backups"). */
  readonly option?: string;
}

export interface PendingConfirm extends ConfirmRequest {
  resolve(answer: { confirmed: boolean; option: boolean }): void;
}

/** The one open confirmation; `ConfirmHost` renders it. */
export const pendingConfirm = shallowRef<PendingConfirm | null>(null);

/** Asks and waits; resolves `confirmed: false` on cancel or Escape. */
export function confirmAction(request: ConfirmRequest): Promise<{ confirmed: boolean; option: boolean }> {
  pendingConfirm.value?.resolve({ confirmed: false, option: false });
  return new Promise((resolve) => {
    pendingConfirm.value = {
      ...request,
      resolve: (answer) => {
        pendingConfirm.value = null;
        resolve(answer);
      },
    };
  });
}
