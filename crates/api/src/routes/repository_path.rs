//! The path grammar of `/api/repositories/{tail:.*}`: one catch-all resource serves several
//! shapes, split here on the raw (still percent-encoded) path. The operation is found from the
//! end (`/tags`, `/manifests/<ref>`, `/delete-tags`), then the name and reference are decoded
//! and validated: `team%2Fapp` is `team/app`, and anything that fails the grammar after
//! decoding is a 400 before any registry is contacted.
use shared::error::ErrorCode;

use crate::domain::{Reference, RepositoryName};
use crate::error::{AppError, AppResult};

/// What a `/repositories/...` path asks for, names validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepositoryRoute {
    Tags(RepositoryName),
    Manifest(RepositoryName, Reference),
    DeleteTags(RepositoryName),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Read,
    Delete,
    Bulk,
}

pub(super) fn no_endpoint(path: &str) -> AppError {
    AppError::not_found(
        ErrorCode::NotFound,
        format!(
            "no API endpoint {}",
            path.chars().take(200).collect::<String>()
        ),
    )
}

/// Percent-decodes one part of a path; `None` for broken escapes or non-UTF-8.
fn percent_decode(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn repository(raw: &str) -> AppResult<RepositoryName> {
    let decoded = percent_decode(raw).ok_or_else(|| {
        AppError::bad_request(
            ErrorCode::InvalidName,
            "the repository name is not valid percent-encoded UTF-8",
        )
    })?;
    Ok(RepositoryName::parse(&decoded)?)
}

fn reference(raw: &str) -> AppResult<Reference> {
    let decoded = percent_decode(raw).ok_or_else(|| {
        AppError::bad_request(
            ErrorCode::InvalidTag,
            "the tag is not valid percent-encoded UTF-8",
        )
    })?;
    Ok(Reference::parse(&decoded)?)
}

/// Splits `tail` (everything after `/api/repositories/`, as received) for `operation`.
pub fn parse_repository_path(tail: &str, operation: Operation) -> AppResult<RepositoryRoute> {
    match operation {
        Operation::Read | Operation::Delete => {
            if let Some((repo, reference_raw)) = tail.rsplit_once("/manifests/") {
                if !reference_raw.is_empty() && !reference_raw.contains('/') {
                    return Ok(RepositoryRoute::Manifest(
                        repository(repo)?,
                        reference(reference_raw)?,
                    ));
                }
            }
            if operation == Operation::Read {
                if let Some(repo) = tail.strip_suffix("/tags") {
                    return Ok(RepositoryRoute::Tags(repository(repo)?));
                }
            }
        }
        Operation::Bulk => {
            if let Some(repo) = tail.strip_suffix("/delete-tags") {
                return Ok(RepositoryRoute::DeleteTags(repository(repo)?));
            }
        }
    }
    Err(no_endpoint(tail))
}

/// The methods some operation accepts at `/api/repositories/<tail>`.
pub fn allowed_methods(tail: &str) -> Vec<&'static str> {
    [
        (Operation::Delete, "DELETE"),
        (Operation::Read, "GET"),
        (Operation::Bulk, "POST"),
    ]
    .into_iter()
    .filter(|(operation, _)| {
        // A validation error still means the path has this operation's shape.
        parse_repository_path(tail, *operation)
            .map_or_else(|e| e.error_code() != ErrorCode::NotFound, |_| true)
    })
    .map(|(_, method)| method)
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(tail: &str) -> AppResult<RepositoryRoute> {
        parse_repository_path(tail, Operation::Read)
    }

    #[test]
    fn namespaced_names_are_kept_whole() {
        assert_eq!(
            read("a/b/c/deep/tags").unwrap(),
            RepositoryRoute::Tags(RepositoryName::parse("a/b/c/deep").unwrap())
        );
        assert_eq!(
            read("team%2Fapp/manifests/v1.0").unwrap(),
            RepositoryRoute::Manifest(
                RepositoryName::parse("team/app").unwrap(),
                Reference::parse("v1.0").unwrap()
            )
        );
        assert_eq!(
            read("a/manifests/b/tags").unwrap(),
            RepositoryRoute::Tags(RepositoryName::parse("a/manifests/b").unwrap())
        );
        let digest = format!("sha256:{}", "a".repeat(64));
        assert!(matches!(
            read(&format!("x/manifests/{}", digest.replace(':', "%3A"))).unwrap(),
            RepositoryRoute::Manifest(_, Reference::Digest(_))
        ));
    }

    #[test]
    fn hostile_paths_are_refused_with_the_right_code() {
        for (tail, code) in [
            ("team%2F..%2Fapp/tags", "invalid_name"),
            ("%2e%2e/tags", "invalid_name"),
            ("a%3Fb/tags", "invalid_name"),
            ("a%23b/tags", "invalid_name"),
            ("Team/App/tags", "invalid_name"),
            ("-a/tags", "invalid_name"),
            ("a%2/tags", "invalid_name"),
            ("a%FF/tags", "invalid_name"),
            ("a%252Fb/tags", "invalid_name"),
            ("/tags", "invalid_name"),
            ("app/manifests/..", "invalid_tag"),
            ("app/manifests/a%3Fb", "invalid_tag"),
            ("app/manifests/sha256:zz", "invalid_digest"),
        ] {
            assert_eq!(read(tail).unwrap_err().code(), code, "{tail}");
        }
        assert_eq!(read("app").unwrap_err().code(), "not_found");
        assert_eq!(
            parse_repository_path("app/tags", Operation::Delete)
                .unwrap_err()
                .code(),
            "not_found"
        );
        assert!(matches!(
            parse_repository_path("team/app/delete-tags", Operation::Bulk).unwrap(),
            RepositoryRoute::DeleteTags(_)
        ));
    }
}
