use shared::error::ErrorCode;

/// Why a value is not valid: a stable code and a message for people. The domain knows nothing
/// of HTTP; `error.rs` answers these with 400.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct InvalidValue {
    code: ErrorCode,
    message: String,
}

impl InvalidValue {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    pub fn error_code(&self) -> ErrorCode {
        self.code
    }

    /// The wire code.
    pub fn code(&self) -> &'static str {
        self.code.as_str()
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}
