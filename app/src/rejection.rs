//! [`Rejection`]: the answer to input the application layer refuses, shared by the router and
//! the extractors (below both, so neither imports the other).

use core::fmt;

use aurora_core::conn::{RespondError, Responder};
use aurora_core::http::Status;

/// Input refused before the application saw it: a status and a short reason, sent as
/// `text/plain`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// The status to answer with.
    pub status: Status,
    /// A short reason, the body of the answer.
    pub reason: &'static str,
}

/// `415`, which `Status` does not name.
const UNSUPPORTED_MEDIA_TYPE: Status = match Status::from_code(415) {
    Some(status) => status,
    None => Status::BAD_REQUEST,
};

impl Rejection {
    /// A path parameter that does not parse as its type: `400`.
    pub const BAD_PARAM: Rejection = Rejection::new(Status::BAD_REQUEST, "bad path parameter");
    /// A query or form value that is not valid percent-encoded UTF-8, or longer than the
    /// memory given for it: `400`.
    pub const BAD_ENCODING: Rejection = Rejection::new(Status::BAD_REQUEST, "bad percent-encoding");
    /// Query or form fields that are not the type asked for (one missing, repeated or
    /// unparsable): `400`.
    pub const BAD_FIELDS: Rejection = Rejection::new(Status::BAD_REQUEST, "bad or missing field");
    /// A required header is missing: `400`.
    pub const MISSING_HEADER: Rejection = Rejection::new(Status::BAD_REQUEST, "missing header");
    /// A header whose value is not of its type: `400`.
    pub const BAD_HEADER: Rejection = Rejection::new(Status::BAD_REQUEST, "bad header value");
    /// A required query or form field is missing: `400`.
    pub const MISSING_FIELD: Rejection = Rejection::new(Status::BAD_REQUEST, "missing field");
    /// A body that is not UTF-8 where text is expected: `400`.
    pub const NOT_UTF8: Rejection = Rejection::new(Status::BAD_REQUEST, "body is not UTF-8");
    /// A body that is not the JSON the route takes: `400`.
    pub const MALFORMED_JSON: Rejection = Rejection::new(Status::BAD_REQUEST, "malformed JSON");
    /// A body of another `Content-Type` than the route takes: `415`.
    pub const UNSUPPORTED_TYPE: Rejection =
        Rejection::new(UNSUPPORTED_MEDIA_TYPE, "unsupported Content-Type");
    /// A body past the route's bound: `413`.
    pub const TOO_LARGE: Rejection = Rejection::new(Status::PAYLOAD_TOO_LARGE, "body too large");

    /// A rejection with `status` and `reason`.
    pub const fn new(status: Status, reason: &'static str) -> Self {
        Self { status, reason }
    }

    /// Answers with the status and the reason as `text/plain`.
    ///
    /// # Errors
    ///
    /// As [`Responder::send`].
    pub fn send<B, C>(&self, res: &mut Responder<'_, B, C>) -> Result<(), RespondError> {
        let headers: &[(&str, &[u8])] = &[("Content-Type", b"text/plain; charset=utf-8")];
        res.send(self.status, headers, self.reason.as_bytes())
    }
}

impl From<crate::form::Error> for Rejection {
    fn from(e: crate::form::Error) -> Self {
        match e {
            crate::form::Error::Encoding => Rejection::BAD_ENCODING,
            _ => Rejection::BAD_FIELDS,
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status.code(), self.reason)
    }
}

impl core::error::Error for Rejection {}
