//! One error type for the engine. Every variant says where (file, row, URL, tensor) and what
//! was expected: errors reach users in a browser, and a panic there kills the worker.

/// The engine's error: specific enough to show to a user as it is.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A Hub or HTTP download failed; `url` is what was asked for.
    #[error("{url}: not found (404)")]
    NotFound { url: String },
    #[error(
        "{url}: access denied ({status}); the repository is gated or private: set a Hub token"
    )]
    Gated { url: String, status: u16 },
    #[error("{url}: network error: {cause}")]
    Network { url: String, cause: String },
    #[error("{url}: HTTP {status}")]
    Http { url: String, status: u16 },
    #[error("{url}: truncated download: expected {expected} bytes, got {got}")]
    Truncated {
        url: String,
        expected: u64,
        got: u64,
    },
    /// A local file could not be read or written.
    #[error("{path}: {cause}")]
    Io { path: String, cause: String },
    /// Bad data in a data set file; `line` is 1-based where known.
    #[error("{file}{}: {msg}", line.map(|l| format!(", line {l}")).unwrap_or_default())]
    Data {
        file: String,
        line: Option<usize>,
        msg: String,
    },
    /// A tokenizer file that could not be loaded, or text it could not encode.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// A checkpoint or config that does not fit the model (names the tensor or field).
    #[error("model: {0}")]
    Model(String),
    /// A training argument or a call that makes no sense (names the argument).
    #[error("invalid argument: {0}")]
    Invalid(String),
    /// A backend failed (device lost, out of memory, kernel error).
    #[error("{backend} backend: {msg}")]
    Backend { backend: String, msg: String },
    #[error("tensor: {0}")]
    Candle(#[from] candle_core::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn data(file: impl Into<String>, line: Option<usize>, msg: impl Into<String>) -> Self {
        Error::Data {
            file: file.into(),
            line,
            msg: msg.into(),
        }
    }
    /// The error for an HTTP response status from `url`, or `None` for a success (2xx). Both
    /// fetchers (native ureq, the browser's `fetch`) read statuses through this.
    pub fn from_status(url: &str, status: u16) -> Option<Self> {
        let url = url.to_string();
        match status {
            200..=299 => None,
            404 => Some(Error::NotFound { url }),
            401 | 403 => Some(Error::Gated { url, status }),
            _ => Some(Error::Http { url, status }),
        }
    }
    /// The error for a body of `got` bytes where `Content-Length` said `expected`, or `None`
    /// when they agree (or there was no length).
    pub fn from_length(url: &str, expected: Option<u64>, got: u64) -> Option<Self> {
        let expected = expected.filter(|&e| e != got)?;
        Some(Error::Truncated {
            url: url.to_string(),
            expected,
            got,
        })
    }
    pub fn io(path: impl std::fmt::Display, cause: impl std::fmt::Display) -> Self {
        Error::Io {
            path: path.to_string(),
            cause: cause.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Error;

    #[test]
    fn http_statuses_say_what_to_do() {
        let url = "https://huggingface.co/google-bert/bert-base-uncased/resolve/main/config.json";
        assert!(Error::from_status(url, 200).is_none());
        let says = |status| Error::from_status(url, status).unwrap().to_string();
        assert_eq!(says(404), format!("{url}: not found (404)"));
        for status in [401, 403] {
            let m = says(status);
            assert!(
                m.starts_with(url) && m.contains("gated or private: set a Hub token"),
                "{m}"
            );
        }
        assert!(says(503).contains("503"), "{}", says(503));
    }
}
