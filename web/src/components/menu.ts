/** One entry of an `ActionsMenu`. */
export interface MenuItem {
  label: string;
  danger?: boolean;
  disabled?: boolean;
  run: () => void;
}
