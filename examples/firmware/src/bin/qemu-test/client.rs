//! The on-target test's HTTP client: raw requests over an embassy-net socket, answers read
//! with httparse (no std) into fixed buffers.
//!
//! It reads a response framed by `Content-Length`, by `Transfer-Encoding: chunked` or by
//! neither (no body), and says whether the server then closed. It trusts nothing the server
//! sends: every length is checked against the buffers, and every wait is bounded by the
//! caller's timeout.

use embassy_net::tcp::TcpSocket;

/// Why a scenario failed, for the semihosting report.
pub type Fail = &'static str;

/// Bytes of a response the client can hold while reading it (head and body).
const INPUT: usize = 2048;

/// Bytes of a response body the client keeps (it counts the rest).
pub const BODY: usize = 1024;

/// One connection to the server.
pub struct Client<'s> {
    socket: TcpSocket<'s>,
    input: [u8; INPUT],
    len: usize,
}

/// One response as the client read it.
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// Whether `Content-Type` was the Prometheus text format.
    pub prometheus: bool,
    /// Whether the response said `Connection: close`.
    pub close: bool,
    /// The `Sec-WebSocket-Accept` value, if the response had one (at most 28 bytes).
    pub accept: [u8; 28],
    body: [u8; BODY],
    body_len: usize,
    total: usize,
}

impl<'s> Client<'s> {
    /// A client on `socket`, already connected.
    pub fn new(socket: TcpSocket<'s>) -> Self {
        Self {
            socket,
            input: [0; INPUT],
            len: 0,
        }
    }

    /// Sends every byte of `bytes`.
    ///
    /// # Errors
    ///
    /// When the connection is reset.
    pub async fn send(&mut self, mut bytes: &[u8]) -> Result<(), Fail> {
        while !bytes.is_empty() {
            match self.socket.write(bytes).await {
                Ok(0) | Err(_) => return Err("write failed"),
                Ok(n) => bytes = bytes.get(n..).ok_or("write overran")?,
            }
        }
        self.socket.flush().await.map_err(|_| "flush failed")
    }

    /// Reads one whole response.
    ///
    /// # Errors
    ///
    /// When the response is malformed, too large for the client's buffers, or the connection
    /// ends before it does.
    pub async fn answer(&mut self) -> Result<Answer, Fail> {
        let (mut answer, framing) = self.read_head().await?;
        match framing {
            Framing::Empty => {}
            Framing::Length(n) => self.body(n, &mut answer).await?,
            Framing::Chunked => loop {
                let size = self.chunk_size().await?;
                self.body(size, &mut answer).await?;
                while self.len < 2 {
                    self.fill().await?;
                }
                if &self.input[..2] != b"\r\n" {
                    return Err("chunk without CRLF");
                }
                self.consume(2);
                if size == 0 {
                    break;
                }
            },
        }
        Ok(answer)
    }

    /// Reads a response's head, then its body as raw bytes until `needle` appears in them:
    /// for a body that does not end, such as an event stream. The answer has no body.
    ///
    /// # Errors
    ///
    /// When the head is malformed, or the connection ends or the buffer fills first.
    pub async fn until(&mut self, needle: &[u8]) -> Result<Answer, Fail> {
        let (answer, _) = self.read_head().await?;
        while !contains(&self.input[..self.len], needle) {
            self.fill().await?;
        }
        Ok(answer)
    }

    /// Reads raw bytes (after a head, such as WebSocket frames) until `needle` appears in
    /// them, then drops what was read.
    ///
    /// # Errors
    ///
    /// When the connection ends or the buffer fills first.
    pub async fn expect(&mut self, needle: &[u8]) -> Result<(), Fail> {
        while !contains(&self.input[..self.len], needle) {
            self.fill().await?;
        }
        self.len = 0;
        Ok(())
    }

    /// Whether the server closed the connection with nothing more to read.
    pub async fn closed(&mut self) -> bool {
        let mut byte = [0u8; 1];
        self.len == 0 && matches!(self.socket.read(&mut byte).await, Ok(0) | Err(_))
    }

    /// Closes the connection (FIN) and waits until it is sent.
    pub async fn close(mut self) {
        self.socket.close();
        let _ = self.socket.flush().await;
    }

    /// Reads and consumes one response head.
    async fn read_head(&mut self) -> Result<(Answer, Framing), Fail> {
        let mut answer = Answer {
            status: 0,
            prometheus: false,
            close: false,
            accept: [0; 28],
            body: [0; BODY],
            body_len: 0,
            total: 0,
        };
        loop {
            if let Some((head, framing)) = self.head(&mut answer)? {
                self.consume(head);
                return Ok((answer, framing));
            }
            self.fill().await?;
        }
    }

    /// Parses the head in the input, if complete: its length and the body's framing.
    fn head(&self, answer: &mut Answer) -> Result<Option<(usize, Framing)>, Fail> {
        let mut headers = [httparse::EMPTY_HEADER; 16];
        let mut response = httparse::Response::new(&mut headers);
        let head = match response.parse(&self.input[..self.len]) {
            Ok(httparse::Status::Complete(n)) => n,
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(_) => return Err("malformed response head"),
        };
        answer.status = response.code.ok_or("no status")?;
        let mut framing = Framing::Empty;
        for header in response.headers.iter() {
            let name = header.name;
            if name.eq_ignore_ascii_case("content-length") {
                framing = Framing::Length(decimal(header.value).ok_or("bad Content-Length")?);
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                if !header.value.eq_ignore_ascii_case(b"chunked") {
                    return Err("unknown Transfer-Encoding");
                }
                framing = Framing::Chunked;
            } else if name.eq_ignore_ascii_case("content-type") {
                answer.prometheus = header.value.starts_with(b"text/plain; version=0.0.4");
            } else if name.eq_ignore_ascii_case("connection") {
                answer.close = header.value.eq_ignore_ascii_case(b"close");
            } else if name.eq_ignore_ascii_case("sec-websocket-accept") {
                let value = header.value.get(..28).ok_or("short Sec-WebSocket-Accept")?;
                answer.accept.copy_from_slice(value);
            }
        }
        Ok(Some((head, framing)))
    }

    /// Reads a chunk-size line (no extensions, as Aurora writes them) and consumes it.
    async fn chunk_size(&mut self) -> Result<usize, Fail> {
        loop {
            if let Some(end) = self.input[..self.len].windows(2).position(|w| w == b"\r\n") {
                let size = hex(&self.input[..end]).ok_or("bad chunk size")?;
                self.consume(end + 2);
                return Ok(size);
            }
            self.fill().await?;
        }
    }

    /// Reads `n` body bytes into `answer`, however many the input holds at a time.
    async fn body(&mut self, mut n: usize, answer: &mut Answer) -> Result<(), Fail> {
        while n > 0 {
            if self.len == 0 {
                self.fill().await?;
            }
            let take = n.min(self.len);
            answer.push(&self.input[..take]);
            self.consume(take);
            n -= take;
        }
        Ok(())
    }

    /// Reads more input.
    async fn fill(&mut self) -> Result<(), Fail> {
        let free = self.input.get_mut(self.len..).ok_or("input overran")?;
        if free.is_empty() {
            return Err("response larger than the client's buffer");
        }
        match self.socket.read(free).await {
            Ok(0) => Err("connection closed mid-response"),
            Ok(n) => {
                self.len += n;
                Ok(())
            }
            Err(_) => Err("connection reset mid-response"),
        }
    }

    /// Drops the first `n` bytes of input (`n <= self.len`).
    fn consume(&mut self, n: usize) {
        self.input.copy_within(n..self.len, 0);
        self.len -= n;
    }
}

impl Answer {
    /// The body.
    pub fn body(&self) -> &[u8] {
        &self.body[..self.body_len]
    }

    /// The body's length, of which [`body`](Self::body) kept the first [`BODY`] bytes.
    pub fn len(&self) -> usize {
        self.total
    }

    /// Appends to the body (what does not fit is counted, not kept).
    fn push(&mut self, bytes: &[u8]) {
        self.total = self.total.saturating_add(bytes.len());
        let kept = bytes.len().min(BODY - self.body_len);
        self.body[self.body_len..self.body_len + kept].copy_from_slice(&bytes[..kept]);
        self.body_len += kept;
    }
}

/// How a response's body is delimited.
enum Framing {
    /// No body.
    Empty,
    /// `Content-Length` bytes.
    Length(usize),
    /// Chunks until a zero-size one.
    Chunked,
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A decimal number of at most 9 digits.
fn decimal(digits: &[u8]) -> Option<usize> {
    if digits.is_empty() || digits.len() > 9 {
        return None;
    }
    digits.iter().try_fold(0usize, |n, &d| {
        d.is_ascii_digit().then(|| n * 10 + usize::from(d - b'0'))
    })
}

/// A hexadecimal number of at most 7 digits.
fn hex(digits: &[u8]) -> Option<usize> {
    if digits.is_empty() || digits.len() > 7 {
        return None;
    }
    digits.iter().try_fold(0usize, |n, &d| {
        let v = char::from(d).to_digit(16)?;
        Some(n * 16 + v as usize)
    })
}
