//! The one error type of the API and its mapping to HTTP.
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use shared::error::ErrorCode;
use shared::ErrorBody;

/// Every error a handler can return. The codes (`shared::error::ErrorCode`) are a public
/// contract: clients switch on them.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400: the request is malformed or fails validation.
    #[error("{message}")]
    BadRequest { code: ErrorCode, message: String },
    /// 401: no valid session or credentials.
    #[error("{message}")]
    Unauthorized { code: ErrorCode, message: String },
    /// 403: authenticated but not allowed.
    #[error("{message}")]
    Forbidden { code: ErrorCode, message: String },
    /// 404.
    #[error("{message}")]
    NotFound { code: ErrorCode, message: String },
    /// 409: the request conflicts with the current state.
    #[error("{message}")]
    Conflict { code: ErrorCode, message: String },
    /// 405 with the `Allow` header.
    #[error("{message}")]
    MethodNotAllowed { allow: String, message: String },
    /// 413 or 415: the form of the request is refused before any handler logic runs.
    #[error("{message}")]
    Rejected {
        status: StatusCode,
        code: ErrorCode,
        message: String,
    },
    /// 429 with `Retry-After`.
    #[error("too many attempts; retry in {retry_after_secs} s")]
    TooManyAttempts { retry_after_secs: u64 },
    /// 503 with `Retry-After`: too many password checks in flight (from this client or in all).
    #[error("the server is busy checking other sign-ins; retry in {retry_after_secs} s")]
    ServerBusy { retry_after_secs: u64 },
    /// An upstream registry failed; the status is the code's (502 or 504).
    #[error("{message}")]
    Upstream { code: ErrorCode, message: String },
    /// Anything unexpected: logged with its whole chain, answered with an opaque 500.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn bad_request(code: ErrorCode, message: impl Into<String>) -> Self {
        AppError::BadRequest {
            code,
            message: message.into(),
        }
    }
    pub fn unauthorized(code: ErrorCode, message: impl Into<String>) -> Self {
        AppError::Unauthorized {
            code,
            message: message.into(),
        }
    }
    pub fn forbidden(code: ErrorCode, message: impl Into<String>) -> Self {
        AppError::Forbidden {
            code,
            message: message.into(),
        }
    }
    pub fn not_found(code: ErrorCode, message: impl Into<String>) -> Self {
        AppError::NotFound {
            code,
            message: message.into(),
        }
    }
    pub fn conflict(code: ErrorCode, message: impl Into<String>) -> Self {
        AppError::Conflict {
            code,
            message: message.into(),
        }
    }
    pub fn upstream(code: ErrorCode, message: impl Into<String>) -> Self {
        AppError::Upstream {
            code,
            message: message.into(),
        }
    }

    pub fn rejected(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        AppError::Rejected {
            status,
            code,
            message: message.into(),
        }
    }

    /// The session is missing, expired, revoked or otherwise unusable.
    pub fn invalid_token() -> Self {
        Self::unauthorized(
            ErrorCode::InvalidToken,
            "the session is invalid or has expired",
        )
    }

    /// 404 `registry_not_found`; also for a registry the caller may not see.
    pub fn registry_not_found(name: &str) -> Self {
        Self::not_found(
            ErrorCode::RegistryNotFound,
            format!("there is no registry named {:?}", truncate(name)),
        )
    }

    /// 503 `database_unavailable`: the database is unreachable or does not answer. Logged
    /// here (once per request that meets it), answered without the driver's detail.
    pub fn database_unavailable(e: &sqlx::Error) -> Self {
        tracing::warn!(error = %e, "the database is unavailable");
        Self::upstream(
            ErrorCode::DatabaseUnavailable,
            "the database does not answer; try again shortly",
        )
    }

    /// 404 `user_not_found`.
    pub fn user_not_found(name: &str) -> Self {
        Self::not_found(
            ErrorCode::UserNotFound,
            format!("there is no user named {:?}", truncate(name)),
        )
    }

    pub fn forbidden_role() -> Self {
        Self::forbidden(ErrorCode::Forbidden, "your role does not allow this action")
    }

    /// The error's code.
    pub fn error_code(&self) -> ErrorCode {
        match self {
            AppError::BadRequest { code, .. }
            | AppError::Unauthorized { code, .. }
            | AppError::Forbidden { code, .. }
            | AppError::NotFound { code, .. }
            | AppError::Conflict { code, .. }
            | AppError::Upstream { code, .. }
            | AppError::Rejected { code, .. } => *code,
            AppError::TooManyAttempts { .. } => ErrorCode::TooManyAttempts,
            AppError::ServerBusy { .. } => ErrorCode::ServerBusy,
            AppError::MethodNotAllowed { .. } => ErrorCode::MethodNotAllowed,
            AppError::Internal(_) => ErrorCode::InternalError,
        }
    }

    /// The stable wire code sent to clients.
    pub fn code(&self) -> &'static str {
        self.error_code().as_str()
    }

    pub fn body(&self) -> ErrorBody {
        let message = match self {
            AppError::Internal(_) => "an unexpected error occurred; it has been logged".to_string(),
            other => other.to_string(),
        };
        ErrorBody::new(self.code(), message)
    }
}

impl From<crate::domain::InvalidValue> for AppError {
    fn from(e: crate::domain::InvalidValue) -> Self {
        AppError::bad_request(e.error_code(), e.message())
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        if crate::db::is_unavailable(&e) {
            return AppError::database_unavailable(&e);
        }
        AppError::Internal(anyhow::Error::new(e).context("database error"))
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        AppError::Internal(anyhow::anyhow!("blocking task failed: {e}"))
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(e: tokio::task::JoinError) -> Self {
        AppError::Internal(anyhow::anyhow!("background task failed: {e}"))
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            AppError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            AppError::Forbidden { .. } => StatusCode::FORBIDDEN,
            AppError::NotFound { .. } => StatusCode::NOT_FOUND,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::ServerBusy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AppError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Upstream { code, .. } => {
                StatusCode::from_u16(code.status()).unwrap_or(StatusCode::BAD_GATEWAY)
            }
            AppError::Rejected { status, .. } => *status,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if !shared::error::is_cataloged(self.code(), self.status_code().as_u16()) {
            // A contract bug, not the client's: answer anyway, and say so loudly.
            tracing::error!(
                code = self.code(),
                status = self.status_code().as_u16(),
                "error code missing from shared::error::ERROR_CODES (the published contract)"
            );
        }
        // Every 5xx is logged once, here, with its cause (messages are ours: never a secret).
        match self {
            AppError::Internal(e) => tracing::error!(error = ?e, "internal error"),
            AppError::Upstream { code, message } => tracing::warn!(
                status = code.status(),
                code = code.as_str(),
                cause = %message,
                "upstream failure"
            ),
            _ => {}
        }
        let mut res = HttpResponse::build(self.status_code());
        if let AppError::Unauthorized { .. } = self {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if let AppError::MethodNotAllowed { allow, .. } = self {
            res.insert_header((header::ALLOW, allow.as_str()));
        }
        if let AppError::TooManyAttempts { retry_after_secs }
        | AppError::ServerBusy { retry_after_secs } = self
        {
            res.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
        }
        res.json(self.body())
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// A name from the request, bounded for a message.
fn truncate(name: &str) -> String {
    name.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_do_not_leak_their_cause() {
        let err = AppError::Internal(anyhow::anyhow!("secret path /etc/shadow"));
        assert_eq!(err.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = err.body();
        assert_eq!(body.error, "internal_error");
        assert!(!body.message.contains("shadow"));
    }

    #[test]
    fn throttling_carries_retry_after() {
        let res = AppError::TooManyAttempts {
            retry_after_secs: 42,
        }
        .error_response();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(res.headers().get(header::RETRY_AFTER).unwrap(), "42");
    }
}
