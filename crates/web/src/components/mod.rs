//! Widgets shared by the pages.
pub mod backup_codes;
pub mod copy_button;
pub mod debounce;
pub mod delete_dialog;
pub mod dialog;
pub mod feedback;
pub mod icons;
pub mod pagination;
pub mod theme_toggle;
pub mod toast;
