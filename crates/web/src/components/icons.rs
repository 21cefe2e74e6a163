//! Inline SVG icons: shipped in the bundle (no icon font, no CDN), drawn with `currentColor`.
use leptos::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Glyph {
    Alert,
    Check,
    ChevronDown,
    ChevronLeft,
    ChevronRight,
    ChevronUp,
    Copy,
    Download,
    Edit,
    Folder,
    Info,
    Key,
    Layers,
    List,
    Lock,
    Logo,
    Logout,
    Monitor,
    Moon,
    Package,
    Plus,
    Refresh,
    Search,
    Server,
    Shield,
    Sun,
    Tag,
    Terminal,
    Trash,
    Unlock,
    User,
    Users,
    X,
}

impl Glyph {
    fn paths(self) -> &'static str {
        match self {
            Glyph::Alert => {
                r#"<path d="M10.3 3.9 1.8 18a2 2 0 0 0 1.7 3h17a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0z"/><path d="M12 9v4M12 17h.01"/>"#
            }
            Glyph::Check => r#"<path d="M20 6 9 17l-5-5"/>"#,
            Glyph::ChevronDown => r#"<path d="m6 9 6 6 6-6"/>"#,
            Glyph::ChevronLeft => r#"<path d="m15 18-6-6 6-6"/>"#,
            Glyph::ChevronRight => r#"<path d="m9 18 6-6-6-6"/>"#,
            Glyph::ChevronUp => r#"<path d="m18 15-6-6-6 6"/>"#,
            Glyph::Copy => {
                r#"<rect x="9" y="9" width="13" height="13" rx="2"/><path d="M5 15H4a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2h9a2 2 0 0 1 2 2v1"/>"#
            }
            Glyph::Download => {
                r#"<path d="M21 15v4a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2v-4"/><path d="m7 10 5 5 5-5"/><path d="M12 15V3"/>"#
            }
            Glyph::Edit => {
                r#"<path d="M12 20h9"/><path d="M16.5 3.5a2.1 2.1 0 0 1 3 3L7 19l-4 1 1-4z"/>"#
            }
            Glyph::Folder => {
                r#"<path d="M3 7a2 2 0 0 1 2-2h4l2 2h8a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2z"/>"#
            }
            Glyph::Info => r#"<circle cx="12" cy="12" r="10"/><path d="M12 16v-4M12 8h.01"/>"#,
            Glyph::Key => {
                r#"<circle cx="7.5" cy="15.5" r="5.5"/><path d="m21 2-9.6 9.6M15.5 7.5l3 3L22 7l-3-3"/>"#
            }
            Glyph::Layers => {
                r#"<path d="m12 2 10 5-10 5L2 7z"/><path d="m2 17 10 5 10-5M2 12l10 5 10-5"/>"#
            }
            Glyph::List => r#"<path d="M8 6h13M8 12h13M8 18h13M3 6h.01M3 12h.01M3 18h.01"/>"#,
            Glyph::Lock => {
                r#"<rect x="3" y="11" width="18" height="11" rx="2"/><path d="M7 11V7a5 5 0 0 1 10 0v4"/>"#
            }
            Glyph::Logo => {
                r#"<path d="M21 8 12 3 3 8v8l9 5 9-5z"/><path d="m3 8 9 5 9-5M12 13v8"/><path d="m7.5 5.5 9 5"/>"#
            }
            Glyph::Logout => {
                r#"<path d="M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4"/><path d="m16 17 5-5-5-5M21 12H9"/>"#
            }
            Glyph::Monitor => {
                r#"<rect x="2" y="3" width="20" height="14" rx="2"/><path d="M8 21h8M12 17v4"/>"#
            }
            Glyph::Moon => r#"<path d="M21 12.8A9 9 0 1 1 11.2 3a7 7 0 0 0 9.8 9.8z"/>"#,
            Glyph::Package => {
                r#"<path d="M21 8 12 3 3 8v8l9 5 9-5z"/><path d="m3 8 9 5 9-5M12 13v8"/>"#
            }
            Glyph::Plus => r#"<path d="M12 5v14M5 12h14"/>"#,
            Glyph::Refresh => r#"<path d="M21 12a9 9 0 1 1-2.6-6.4L21 8"/><path d="M21 3v5h-5"/>"#,
            Glyph::Search => r#"<circle cx="11" cy="11" r="7"/><path d="m21 21-4.3-4.3"/>"#,
            Glyph::Server => {
                r#"<rect x="2" y="3" width="20" height="8" rx="2"/><rect x="2" y="13" width="20" height="8" rx="2"/><path d="M6 7h.01M6 17h.01"/>"#
            }
            Glyph::Shield => r#"<path d="M12 22s8-4 8-10V5l-8-3-8 3v7c0 6 8 10 8 10z"/>"#,
            Glyph::Sun => {
                r#"<circle cx="12" cy="12" r="4"/><path d="M12 2v2M12 20v2M4.9 4.9l1.4 1.4M17.7 17.7l1.4 1.4M2 12h2M20 12h2M4.9 19.1l1.4-1.4M17.7 6.3l1.4-1.4"/>"#
            }
            Glyph::Tag => {
                r#"<path d="M20.6 13.4 13.4 20.6a2 2 0 0 1-2.8 0L2 12V2h10l8.6 8.6a2 2 0 0 1 0 2.8z"/><path d="M7 7h.01"/>"#
            }
            Glyph::Terminal => r#"<path d="m4 17 6-6-6-6M12 19h8"/>"#,
            Glyph::Trash => {
                r#"<path d="M3 6h18M19 6l-1 14a2 2 0 0 1-2 2H8a2 2 0 0 1-2-2L5 6M10 11v6M14 11v6M9 6V4a1 1 0 0 1 1-1h4a1 1 0 0 1 1 1v2"/>"#
            }
            Glyph::Unlock => {
                r#"<rect x="3" y="11" width="18" height="11" rx="2"/><path d="M7 11V7a5 5 0 0 1 9.9-1"/>"#
            }
            Glyph::User => {
                r#"<circle cx="12" cy="8" r="4"/><path d="M4 21v-1a6 6 0 0 1 6-6h4a6 6 0 0 1 6 6v1"/>"#
            }
            Glyph::Users => {
                r#"<circle cx="9" cy="7" r="4"/><path d="M3 21v-2a4 4 0 0 1 4-4h4a4 4 0 0 1 4 4v2M16 3.1a4 4 0 0 1 0 7.8M21 21v-2a4 4 0 0 0-3-3.9"/>"#
            }
            Glyph::X => r#"<path d="M18 6 6 18M6 6l12 12"/>"#,
        }
    }
}

/// A 1em icon; decorative (the control around it carries the accessible name).
#[component]
pub fn Icon(glyph: Glyph) -> impl IntoView {
    view! {
        <svg
            class="icon"
            viewBox="0 0 24 24"
            fill="none"
            stroke="currentColor"
            stroke-width="2"
            stroke-linecap="round"
            stroke-linejoin="round"
            aria-hidden="true"
            focusable="false"
            inner_html=glyph.paths()
        ></svg>
    }
}
