//! The app's URLs: built in one place so deep links and the router agree.
//!
//! Repository names contain slashes (`team/app`), so a browser URL is
//! `/r/<registry>/<repo…>` or `/r/<registry>/<repo…>/t/<tag>`; tags cannot contain `/`, so the
//! tag is whatever follows the last `/t/`.
use crate::api::{encode, encode_repository};

pub fn registry(registry: &str) -> String {
    format!("/r/{}", encode(registry))
}

pub fn repository(registry: &str, repository: &str) -> String {
    format!("/r/{}/{}", encode(registry), encode_repository(repository))
}

pub fn tag(registry: &str, repository: &str, tag: &str) -> String {
    format!(
        "/r/{}/{}/t/{}",
        encode(registry),
        encode_repository(repository),
        encode(tag)
    )
}

/// What the `*path` after `/r/<registry>` points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrowserTarget {
    Overview,
    Repository(String),
    Tag(String, String),
}

pub fn parse_browser_path(path: &str) -> BrowserTarget {
    let path = path.trim_matches('/');
    if path.is_empty() {
        return BrowserTarget::Overview;
    }
    match path.rsplit_once("/t/") {
        Some((repo, tag)) if !repo.is_empty() && !tag.is_empty() && !tag.contains('/') => {
            BrowserTarget::Tag(repo.to_string(), tag.to_string())
        }
        _ => BrowserTarget::Repository(path.to_string()),
    }
}

/// Only same-app paths are followed after sign-in: no `//evil.example` or `https://…`.
pub fn safe_return_path(next: Option<String>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && !path.starts_with("/login") =>
        {
            path
        }
        _ => "/".to_string(),
    }
}

pub fn sign_in(return_to: &str) -> String {
    if return_to == "/" || return_to.is_empty() || return_to.starts_with("/login") {
        "/login".to_string()
    } else {
        format!("/login?next={}", encode(return_to))
    }
}

pub fn change_password(return_to: &str) -> String {
    if return_to == "/" || return_to.is_empty() || return_to.starts_with("/change-password") {
        "/change-password".to_string()
    } else {
        format!("/change-password?next={}", encode(return_to))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_paths_split_on_the_last_tag_marker() {
        assert_eq!(parse_browser_path(""), BrowserTarget::Overview);
        assert_eq!(
            parse_browser_path("a/b/c/deep"),
            BrowserTarget::Repository("a/b/c/deep".into())
        );
        assert_eq!(
            parse_browser_path("team/app/t/v1.2"),
            BrowserTarget::Tag("team/app".into(), "v1.2".into())
        );
    }

    #[test]
    fn only_local_paths_are_returned_to() {
        assert_eq!(safe_return_path(Some("/r/x".into())), "/r/x");
        assert_eq!(safe_return_path(Some("//evil.example".into())), "/");
        assert_eq!(safe_return_path(Some("https://evil.example".into())), "/");
        assert_eq!(safe_return_path(None), "/");
    }
}
