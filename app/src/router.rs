//! Routes fixed at compile time: a `const` table of method + path pattern → the application's
//! own target value (usually an enum), with nested prefixes, and the answers the table implies
//! (`404`, `405` with `Allow`, `HEAD` served by `GET`, `OPTIONS`).
//!
//! This module owns path matching and the `Allow` value. It never touches a request body,
//! never answers on its own (the caller sends what [`Resolved`] says) and never allocates:
//! captured parameters borrow the request's path.
//!
//! # Patterns
//!
//! A pattern is `/`-separated segments: a literal segment matches itself (case-sensitive, not
//! percent-decoded); `{name}` matches any one non-empty segment and captures it; a last
//! segment `{*name}` (or `*`) captures the rest of the path, possibly empty. At most
//! [`MAX_PARAMS`] captures per route. A trailing slash is significant.
//!
//! A captured parameter is parsed where it is used ([`Params::parse`]); one that does not
//! parse as its type is `400 Bad Request` with a short reason, not `404`: the path did match
//! a route, its value is what is wrong.
//!
//! # Examples
//!
//! ```
//! use aurora_app::router::{Resolved, Route, Router};
//! use aurora_core::http::method::Method;
//!
//! #[derive(Clone, Copy, Debug, PartialEq, Eq)]
//! enum To { Led, Leds }
//!
//! const API: &[Route<To>] = &[Route::get("/leds", To::Leds), Route::put("/leds/{id}", To::Led)];
//! const ROUTES: Router<To> = Router::new(&[Route::nest("/api", API)]);
//!
//! match ROUTES.resolve(Method::Put, "/api/leds/3") {
//!     Resolved::Found { target, params } => {
//!         assert_eq!(*target, To::Led);
//!         assert_eq!(params.parse::<u8>(0), Ok(3));
//!     }
//!     other => panic!("{other:?}"),
//! }
//! assert!(matches!(ROUTES.resolve(Method::Get, "/api/leds/3"), Resolved::MethodNotAllowed(_)));
//! ```

use core::fmt;

use aurora_core::http::method::Method;

use crate::Rejection;

/// Most parameters one route captures.
pub const MAX_PARAMS: usize = 4;

/// Longest `Allow` value: every method [`Allow`] names.
const ALLOW_CAP: usize = 48;

/// The methods an `Allow` value may name, in the order it names them.
const ALLOW_ORDER: [Method<'static>; 7] = [
    Method::Get,
    Method::Head,
    Method::Post,
    Method::Put,
    Method::Patch,
    Method::Delete,
    Method::Options,
];

/// One entry of a route table.
#[derive(Debug)]
pub enum Route<T: 'static> {
    /// `method` on paths matching `pattern` goes to `target`.
    Leaf {
        /// The method served.
        method: Method<'static>,
        /// The path pattern (see the module docs).
        pattern: Pattern,
        /// What the application does for it.
        target: T,
    },
    /// The routes of `routes` under the literal `prefix` (no parameters, no trailing `/`).
    Nest {
        /// The literal prefix, such as `/api`.
        prefix: &'static str,
        /// The nested table.
        routes: &'static [Route<T>],
    },
}

/// A path pattern (see the module docs), sorted at compile time into the shapes that match
/// without walking segments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pattern {
    text: &'static str,
    shape: Shape,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    /// No parameter: the path must be the text.
    Literal,
    /// A lone wildcard (`*`, `{*name}`): any path, captured whole.
    Any,
    /// Segments with parameters.
    Segments,
}

/// A route table, fixed at compile time.
#[derive(Debug)]
pub struct Router<T: 'static> {
    routes: &'static [Route<T>],
}

/// What a request's method and path come to.
#[derive(Debug)]
pub enum Resolved<'t, 'p, T> {
    /// A route matched: its target and captured parameters. A `HEAD` request that found a
    /// `GET` route lands here (the connection leaves the body out).
    Found {
        /// The route's target.
        target: &'t T,
        /// The captures, in pattern order.
        params: Params<'p>,
    },
    /// An `OPTIONS` request for a path some route serves, with no `OPTIONS` route of its
    /// own: answer `204` with this `Allow`.
    Options(Allow),
    /// No route matches the path: `404`.
    NotFound,
    /// Routes match the path but none for this method: `405` with this `Allow`.
    MethodNotAllowed(Allow),
}

/// The parameters a route captured, borrowed from the request's path.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Params<'p> {
    values: [&'p str; MAX_PARAMS],
    len: usize,
}

/// The methods a path is served with, as an `Allow` header value.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Allow {
    text: [u8; ALLOW_CAP],
    len: usize,
}

/// A path parameter's type: parsed from one captured segment.
pub trait FromParam<'p>: Sized {
    /// The value of `raw`, or `None` when it is not one.
    fn from_param(raw: &'p str) -> Option<Self>;
}

impl<T> Route<T> {
    /// `GET` (and so `HEAD`) on `pattern`.
    pub const fn get(pattern: &'static str, target: T) -> Self {
        Self::to(Method::Get, pattern, target)
    }

    /// `POST` on `pattern`.
    pub const fn post(pattern: &'static str, target: T) -> Self {
        Self::to(Method::Post, pattern, target)
    }

    /// `PUT` on `pattern`.
    pub const fn put(pattern: &'static str, target: T) -> Self {
        Self::to(Method::Put, pattern, target)
    }

    /// `DELETE` on `pattern`.
    pub const fn delete(pattern: &'static str, target: T) -> Self {
        Self::to(Method::Delete, pattern, target)
    }

    /// `method` on `pattern`.
    pub const fn to(method: Method<'static>, pattern: &'static str, target: T) -> Self {
        Route::Leaf {
            method,
            pattern: Pattern::new(pattern),
            target,
        }
    }

    /// The table `routes` under `prefix`.
    pub const fn nest(prefix: &'static str, routes: &'static [Route<T>]) -> Self {
        Route::Nest { prefix, routes }
    }
}

impl Pattern {
    /// `text` as a pattern.
    pub const fn new(text: &'static str) -> Self {
        let bytes = text.as_bytes();
        let shape = if is_lone_wildcard(bytes) {
            Shape::Any
        } else {
            let mut i = 0;
            let mut shape = Shape::Literal;
            while i < bytes.len() {
                if bytes[i] == b'{' || bytes[i] == b'*' {
                    shape = Shape::Segments;
                }
                i += 1;
            }
            shape
        };
        Self { text, shape }
    }

    /// The pattern as written.
    pub const fn as_str(&self) -> &'static str {
        self.text
    }

    /// Whether `path` matches, its captures (only) in `params` when it does.
    #[inline]
    fn matches<'p>(&self, path: &'p str, params: &mut Params<'p>) -> bool {
        params.len = 0;
        match self.shape {
            Shape::Literal => self.text == path,
            Shape::Any => params.push(path).is_some(),
            Shape::Segments => segments(self.text, path, params).is_some(),
        }
    }
}

/// Whether `seg` is `*` or `{*name}`.
const fn is_lone_wildcard(seg: &[u8]) -> bool {
    matches!(seg, [b'*'] | [b'{', b'*', .., b'}'])
}

impl<T> Router<T> {
    /// A router over `routes`, tried in order (the first match wins).
    pub const fn new(routes: &'static [Route<T>]) -> Self {
        Self { routes }
    }

    /// What `method` on `path` (the target's path, without its query) comes to.
    pub fn resolve<'p>(&self, method: Method<'_>, path: &'p str) -> Resolved<'static, 'p, T> {
        let mut seen = Methods::NONE;
        let mut params = Params::default();
        if let Some(target) = find(self.routes, method, path, &mut seen, &mut params) {
            return Resolved::Found { target, params };
        }
        if method == Method::Head
            && let Some(target) = find(self.routes, Method::Get, path, &mut seen, &mut params)
        {
            return Resolved::Found { target, params };
        }
        if seen == Methods::NONE {
            return Resolved::NotFound;
        }
        if seen.has(Method::Get) {
            seen.add(Method::Head);
        }
        seen.add(Method::Options);
        let allow = Allow::of(seen);
        if method == Method::Options {
            Resolved::Options(allow)
        } else {
            Resolved::MethodNotAllowed(allow)
        }
    }
}

/// A set of the methods of [`ALLOW_ORDER`], one bit each: what matching notes on its way, so
/// the `Allow` text is only written for the answers that carry it.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Methods(u8);

impl Methods {
    const NONE: Methods = Methods(0);

    fn bit(method: Method<'_>) -> u8 {
        ALLOW_ORDER
            .iter()
            .position(|m| *m == method)
            .map_or(0, |i| 1 << i)
    }

    fn add(&mut self, method: Method<'_>) {
        self.0 |= Self::bit(method);
    }

    fn has(self, method: Method<'_>) -> bool {
        self.0 & Self::bit(method) != 0
    }
}

/// The first route of `routes` for `method` on `path`, its captures in `params`, noting in
/// `seen` every method a route whose pattern matches `path` serves (a method outside
/// [`ALLOW_ORDER`] is left out).
#[inline]
fn find<'p, T>(
    routes: &'static [Route<T>],
    method: Method<'_>,
    path: &'p str,
    seen: &mut Methods,
    params: &mut Params<'p>,
) -> Option<&'static T> {
    for route in routes {
        match route {
            Route::Leaf {
                method: m,
                pattern,
                target,
            } => {
                if !pattern.matches(path, params) {
                    continue;
                }
                if *m == method {
                    return Some(target);
                }
                seen.add(*m);
            }
            Route::Nest { prefix, routes } => {
                let Some(rest) = path.strip_prefix(prefix) else {
                    continue;
                };
                // The prefix ends at a segment boundary.
                if !rest.is_empty() && !rest.starts_with('/') {
                    continue;
                }
                let rest = if rest.is_empty() { "/" } else { rest };
                if let Some(found) = find(routes, method, rest, seen, params) {
                    return Some(found);
                }
            }
        }
    }
    None
}

/// Walks `pattern` and `path` segment by segment, capturing into `params`; `None` when the
/// path does not match.
fn segments<'p>(pattern: &str, path: &'p str, params: &mut Params<'p>) -> Option<()> {
    // What is left of the pattern and of the path; `None` once the pattern's last segment
    // is taken.
    let mut pat = Some(pattern);
    let mut rest = path;
    loop {
        let Some((seg, pat_more)) = pat.map(segment) else {
            return rest.is_empty().then_some(());
        };
        pat = pat_more;
        if is_lone_wildcard(seg.as_bytes()) {
            return params.push(rest);
        }
        let (got, more) = segment(rest);
        if seg.starts_with('{') && seg.ends_with('}') {
            if got.is_empty() {
                return None;
            }
            params.push(got)?;
        } else if seg != got {
            return None;
        }
        match more {
            // A `/` in the path needs another pattern segment.
            Some(more) if pat.is_some() => rest = more,
            Some(_) => return None,
            None => return pat.is_none().then_some(()),
        }
    }
}

/// The first `/`-separated segment of `text`, and what follows its `/` if there is one (a
/// byte loop: paths are short, and `str::split`'s searcher costs more than it saves here).
fn segment(text: &str) -> (&str, Option<&str>) {
    match text.bytes().position(|b| b == b'/') {
        // `i` indexes an ASCII `/`, a character boundary.
        Some(i) => (&text[..i], Some(&text[i + 1..])),
        None => (text, None),
    }
}

impl<'p> Params<'p> {
    /// How many parameters were captured.
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether none was.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The `i`th capture as it appears in the path.
    pub fn raw(&self, i: usize) -> Option<&'p str> {
        self.values[..self.len].get(i).copied()
    }

    /// The `i`th capture parsed as `V`.
    ///
    /// # Errors
    ///
    /// `400` ([`Rejection::BAD_PARAM`]) when it is missing or does not parse.
    pub fn parse<V: FromParam<'p>>(&self, i: usize) -> Result<V, Rejection> {
        self.raw(i)
            .and_then(V::from_param)
            .ok_or(Rejection::BAD_PARAM)
    }

    fn push(&mut self, value: &'p str) -> Option<()> {
        *self.values.get_mut(self.len)? = value;
        self.len += 1;
        Some(())
    }
}

impl Allow {
    /// No method.
    pub const EMPTY: Allow = Allow {
        text: [0; ALLOW_CAP],
        len: 0,
    };

    /// The header value, such as `GET, HEAD, PUT, OPTIONS`.
    pub fn as_bytes(&self) -> &[u8] {
        &self.text[..self.len]
    }

    /// Whether no method is named.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether `method` is named.
    pub fn has(&self, method: Method<'_>) -> bool {
        self.as_bytes()
            .split(|&b| b == b',')
            .any(|m| m.trim_ascii() == method.as_str().as_bytes())
    }

    /// The methods of `set`, in [`ALLOW_ORDER`].
    fn of(set: Methods) -> Self {
        let mut allow = Allow::EMPTY;
        for m in ALLOW_ORDER.into_iter().filter(|m| set.has(*m)) {
            allow.push(m.as_str().as_bytes());
        }
        allow
    }

    fn push(&mut self, name: &[u8]) {
        let sep: &[u8] = if self.len == 0 { b"" } else { b", " };
        // ALLOW_CAP holds every name of ALLOW_ORDER with its separator.
        for &b in sep.iter().chain(name) {
            if let Some(slot) = self.text.get_mut(self.len) {
                *slot = b;
                self.len += 1;
            }
        }
    }
}

impl fmt::Debug for Allow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Allow")
            .field(&core::str::from_utf8(self.as_bytes()).unwrap_or("?"))
            .finish()
    }
}

impl<'p> FromParam<'p> for &'p str {
    fn from_param(raw: &'p str) -> Option<Self> {
        Some(raw)
    }
}

macro_rules! from_param_int {
    ($($t:ty),+) => {$(
        impl<'p> FromParam<'p> for $t {
            fn from_param(raw: &'p str) -> Option<Self> {
                // Digits only: `from_str` would take a leading `+`.
                if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                raw.parse().ok()
            }
        }
    )+};
}

from_param_int!(u8, u16, u32, u64, usize);

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum T {
        Root,
        Status,
        GetCfg,
        PutCfg,
        Led,
        Files,
        Deep,
    }

    const API: &[Route<T>] = &[
        Route::get("/status", T::Status),
        Route::get("/config", T::GetCfg),
        Route::put("/config", T::PutCfg),
        Route::put("/leds/{id}", T::Led),
        Route::get("/a/{x}/b/{y}", T::Deep),
    ];
    const ROUTES: Router<T> = Router::new(&[
        Route::get("/", T::Root),
        Route::nest("/api", API),
        Route::get("/files/{*rest}", T::Files),
    ]);

    /// `method path => outcome`: `Ok(target)` found, `Err(code)` 404/405, `Err(204)` options.
    #[test]
    fn table() {
        use Method::*;
        macro_rules! t {
            ($($m:expr, $p:literal => $want:expr, $allow:literal;)+) => {$({
                let (got, allow): (Result<T, u16>, Allow) = match ROUTES.resolve($m, $p) {
                    Resolved::Found { target, .. } => (Ok(*target), Allow::EMPTY),
                    Resolved::Options(a) => (Err(204), a),
                    Resolved::NotFound => (Err(404), Allow::EMPTY),
                    Resolved::MethodNotAllowed(a) => (Err(405), a),
                };
                assert_eq!(got, $want, "{} {}", $m, $p);
                assert_eq!(allow.as_bytes(), $allow.as_bytes(), "{} {}", $m, $p);
            })+};
        }
        t! {
            Get, "/" => Ok(T::Root), "";
            Head, "/" => Ok(T::Root), "";
            Post, "/" => Err(405), "GET, HEAD, OPTIONS";
            Options, "/" => Err(204), "GET, HEAD, OPTIONS";
            Get, "/api/status" => Ok(T::Status), "";
            Get, "/api/status/" => Err(404), "";
            Get, "/api" => Err(404), "";
            Get, "/apix/status" => Err(404), "";
            Get, "/api/config" => Ok(T::GetCfg), "";
            Put, "/api/config" => Ok(T::PutCfg), "";
            Head, "/api/config" => Ok(T::GetCfg), "";
            Delete, "/api/config" => Err(405), "GET, HEAD, PUT, OPTIONS";
            Options, "/api/config" => Err(204), "GET, HEAD, PUT, OPTIONS";
            Put, "/api/leds/7" => Ok(T::Led), "";
            Put, "/api/leds/" => Err(404), "";
            Put, "/api/leds/7/x" => Err(404), "";
            Get, "/api/leds/7" => Err(405), "PUT, OPTIONS";
            Get, "/api/a/1/b/2" => Ok(T::Deep), "";
            Get, "/api/a/1/c/2" => Err(404), "";
            Get, "/files/" => Ok(T::Files), "";
            Get, "/files/a/b/c" => Ok(T::Files), "";
            Get, "/files" => Err(404), "";
            Get, "/nope" => Err(404), "";
            Get, "" => Err(404), "";
            Get, "*" => Err(404), "";
            Options, "*" => Err(404), "";
            Extension("get"), "/" => Err(405), "GET, HEAD, OPTIONS";
        }
    }

    #[test]
    fn params_parse_typed() {
        let Resolved::Found { params, .. } = ROUTES.resolve(Method::Get, "/api/a/300/b/x%20y")
        else {
            panic!()
        };
        assert_eq!(params.len(), 2);
        assert_eq!(params.parse::<u16>(0), Ok(300));
        assert_eq!(params.parse::<u8>(0), Err(Rejection::BAD_PARAM));
        assert_eq!(params.parse::<&str>(1), Ok("x%20y"));
        assert_eq!(params.parse::<u32>(1), Err(Rejection::BAD_PARAM));
        assert_eq!(params.parse::<u32>(2), Err(Rejection::BAD_PARAM));
        assert_eq!(u8::from_param("+1"), None);
        assert_eq!(u8::from_param(""), None);
        let Resolved::Found { params, .. } = ROUTES.resolve(Method::Get, "/files/a/b") else {
            panic!()
        };
        assert_eq!(params.raw(0), Some("a/b"));
    }

    proptest::proptest! {
        /// Any method on any path gets an answer, and never a panic.
        #[test]
        fn answers_every_path(path in "[/a-z0-9{}*%.]{0,40}", m in 0usize..8) {
            let method = [Method::Get, Method::Head, Method::Post, Method::Put, Method::Delete,
                Method::Options, Method::Patch, Method::Extension("X")][m];
            match ROUTES.resolve(method, &path) {
                Resolved::Found { params, .. } => proptest::prop_assert!(params.len() <= MAX_PARAMS),
                Resolved::Options(a) | Resolved::MethodNotAllowed(a) => {
                    proptest::prop_assert!(a.has(Method::Options))
                }
                Resolved::NotFound => {}
            }
        }
    }

    proptest::proptest! {
        /// Any text at all as the path (what a parser hands over is a subset), any method:
        /// an answer, never a panic.
        #[test]
        fn answers_any_text(path in "\\PC{0,64}", method in "[A-Za-z]{1,8}") {
            let method = Method::parse(method.as_bytes()).unwrap();
            let answered = match ROUTES.resolve(method, &path) {
                Resolved::Found { params, .. } => params.len() <= MAX_PARAMS,
                Resolved::Options(a) | Resolved::MethodNotAllowed(a) => a.has(Method::Options),
                Resolved::NotFound => true,
            };
            proptest::prop_assert!(answered);
        }
    }
}
