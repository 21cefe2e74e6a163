//! The queries of the browsing endpoints, parsed and validated: paging, sorting, filters.
use serde::Deserialize;
use shared::error::ErrorCode;

use crate::error::{AppError, AppResult};

pub const DEFAULT_PER_PAGE: usize = 100;
pub const MAX_PER_PAGE: usize = 1000;

pub(super) fn invalid_query(message: impl Into<String>) -> AppError {
    AppError::bad_request(ErrorCode::InvalidQuery, message)
}

/// `page` (from 1) and `per_page` (1–1000, default 100).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub page: usize,
    pub per_page: usize,
}

impl Paging {
    pub fn parse(page: Option<&str>, per_page: Option<&str>) -> AppResult<Self> {
        let page = match page.map(str::trim).filter(|s| !s.is_empty()) {
            None => 1,
            Some(p) => p.parse::<usize>().ok().filter(|p| *p >= 1).ok_or_else(|| {
                invalid_query(format!("page must be a whole number from 1 (got {p:?})"))
            })?,
        };
        let per_page = match per_page.map(str::trim).filter(|s| !s.is_empty()) {
            None => DEFAULT_PER_PAGE,
            Some(p) => p
                .parse::<usize>()
                .ok()
                .filter(|p| (1..=MAX_PER_PAGE).contains(p))
                .ok_or_else(|| {
                    invalid_query(format!(
                        "per_page must be a whole number from 1 to {MAX_PER_PAGE} (got {p:?})"
                    ))
                })?,
        };
        Ok(Self { page, per_page })
    }

    /// The slice of `total` items this page covers.
    pub fn range(&self, total: usize) -> std::ops::Range<usize> {
        let start = (self.page - 1).saturating_mul(self.per_page).min(total);
        let end = start.saturating_add(self.per_page).min(total);
        start..end
    }
}

pub fn parse_bool(name: &str, value: Option<&str>) -> AppResult<bool> {
    match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None | Some("") | Some("false") | Some("0") | Some("no") => Ok(false),
        Some("true") | Some("1") | Some("yes") => Ok(true),
        Some(other) => Err(invalid_query(format!(
            "{name} must be true or false (got {other:?})"
        ))),
    }
}

/// The query of `GET /api/catalog`.
#[derive(Debug, Default, Deserialize)]
pub struct CatalogQuery {
    pub registry: Option<String>,
    pub q: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
    pub refresh: Option<String>,
}

/// The query of `GET /api/repositories/{repo}/tags`.
#[derive(Debug, Default, Deserialize)]
pub struct TagListQuery {
    pub registry: Option<String>,
    pub details: Option<String>,
    pub sort: Option<String>,
    pub order: Option<String>,
    pub q: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
    pub refresh: Option<String>,
}

/// `?registry=` and `?refresh=` of the other registry endpoints.
#[derive(Debug, Default, Deserialize)]
pub struct RegistryQuery {
    pub registry: Option<String>,
    pub refresh: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagSort {
    Name,
    Created,
    Size,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    Asc,
    Desc,
}

#[derive(Debug, Clone)]
pub struct TagListOptions {
    pub details: bool,
    pub sort: TagSort,
    pub order: SortOrder,
    pub q: Option<String>,
    pub paging: Paging,
    pub refresh: bool,
}

impl TagListOptions {
    pub fn parse(query: &TagListQuery) -> AppResult<Self> {
        let sort = match query.sort.as_deref().map(str::trim).unwrap_or("") {
            "" | "name" => TagSort::Name,
            "created" | "date" => TagSort::Created,
            "size" => TagSort::Size,
            other => {
                return Err(invalid_query(format!(
                    "sort must be name, created or size (got {other:?})"
                )))
            }
        };
        let order = match query.order.as_deref().map(str::trim).unwrap_or("") {
            "" => {
                // Newest and biggest first are what people look for.
                if sort == TagSort::Name {
                    SortOrder::Asc
                } else {
                    SortOrder::Desc
                }
            }
            "asc" => SortOrder::Asc,
            "desc" => SortOrder::Desc,
            other => {
                return Err(invalid_query(format!(
                    "order must be asc or desc (got {other:?})"
                )))
            }
        };
        Ok(Self {
            // Sorting by date or size needs the details of every tag anyway.
            details: parse_bool("details", query.details.as_deref())? || sort != TagSort::Name,
            sort,
            order,
            q: query
                .q
                .clone()
                .map(|q| q.trim().to_ascii_lowercase())
                .filter(|q| !q.is_empty()),
            paging: Paging::parse(query.page.as_deref(), query.per_page.as_deref())?,
            refresh: parse_bool("refresh", query.refresh.as_deref())?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_defaults_and_bounds() {
        assert_eq!(
            Paging::parse(None, None).unwrap(),
            Paging {
                page: 1,
                per_page: 100
            }
        );
        assert_eq!(
            Paging::parse(Some("3"), Some("1000")).unwrap(),
            Paging {
                page: 3,
                per_page: 1000
            }
        );
        for (page, per_page) in [
            (Some("0"), None),
            (Some("-1"), None),
            (Some("x"), None),
            (None, Some("0")),
            (None, Some("1001")),
        ] {
            assert_eq!(
                Paging::parse(page, per_page).unwrap_err().code(),
                "invalid_query"
            );
        }
        let p = Paging {
            page: 2,
            per_page: 10,
        };
        assert_eq!(p.range(15), 10..15);
        assert_eq!(p.range(5), 5..5);
        assert_eq!(
            Paging {
                page: usize::MAX,
                per_page: 1000
            }
            .range(5),
            5..5
        );
    }

    #[test]
    fn tag_list_options_are_validated() {
        let q = |sort: &str, order: &str| TagListQuery {
            sort: Some(sort.into()),
            order: Some(order.into()),
            ..TagListQuery::default()
        };
        let o = TagListOptions::parse(&q("created", "")).unwrap();
        assert!(o.details);
        assert_eq!(o.order, SortOrder::Desc);
        assert_eq!(
            TagListOptions::parse(&q("name", "")).unwrap().order,
            SortOrder::Asc
        );
        assert_eq!(
            TagListOptions::parse(&q("bogus", "")).unwrap_err().code(),
            "invalid_query"
        );
        assert_eq!(
            TagListOptions::parse(&q("name", "up")).unwrap_err().code(),
            "invalid_query"
        );
    }
}
