//! UTF-8 checked across fragment and read boundaries: a text message arrives in pieces that may
//! split a character, and must be refused (1007) as soon as a piece cannot begin valid text.
//!
//! This module owns only the up to three bytes of a character cut by a boundary; the checking
//! itself is `core::str::from_utf8`'s.

/// A streaming UTF-8 check.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Utf8 {
    /// The start of a character cut by the last piece's end.
    pending: [u8; 4],
    /// How many bytes of `pending` are held (0 to 3).
    held: u8,
}

/// A piece can never be valid UTF-8 text, whatever follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct InvalidUtf8;

impl Utf8 {
    /// A check at the start of a message.
    pub const fn new() -> Self {
        Self {
            pending: [0; 4],
            held: 0,
        }
    }

    /// Checks the next piece of text.
    ///
    /// # Errors
    ///
    /// [`InvalidUtf8`] once the text so far cannot begin valid UTF-8.
    pub fn push(&mut self, mut piece: &[u8]) -> Result<(), InvalidUtf8> {
        // First finish the character the last piece cut, one byte at a time (at most three).
        while self.held > 0 {
            let Some((&byte, rest)) = piece.split_first() else {
                return Ok(());
            };
            let held = usize::from(self.held);
            self.pending[held] = byte;
            let held = held + 1;
            piece = rest;
            match core::str::from_utf8(&self.pending[..held]) {
                Ok(_) => self.held = 0,
                Err(e) if e.error_len().is_some() => return Err(InvalidUtf8),
                // Still a valid prefix (`held` < 4 then: four bytes decide).
                Err(_) => self.held = held as u8,
            }
        }
        match core::str::from_utf8(piece) {
            Ok(_) => Ok(()),
            Err(e) if e.error_len().is_some() => Err(InvalidUtf8),
            Err(e) => {
                // A valid prefix of at most three bytes is cut at the end.
                let tail = piece.get(e.valid_up_to()..).unwrap_or_default();
                self.pending[..tail.len()].copy_from_slice(tail);
                self.held = tail.len() as u8;
                Ok(())
            }
        }
    }

    /// Ends the message.
    ///
    /// # Errors
    ///
    /// [`InvalidUtf8`] when it ends inside a character.
    pub fn finish(&mut self) -> Result<(), InvalidUtf8> {
        let held = self.held;
        *self = Self::new();
        if held == 0 { Ok(()) } else { Err(InvalidUtf8) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pushes `text` split at every pair of points and compares with `from_utf8`.
    fn agrees(text: &[u8]) {
        let want = core::str::from_utf8(text).is_ok();
        for i in 0..=text.len() {
            for j in i..=text.len() {
                let mut check = Utf8::new();
                let got = check.push(&text[..i]).is_ok()
                    && check.push(&text[i..j]).is_ok()
                    && check.push(&text[j..]).is_ok()
                    && check.finish().is_ok();
                assert_eq!(got, want, "{text:02x?} split at {i}, {j}");
            }
        }
    }

    #[test]
    fn every_split_agrees_with_from_utf8() {
        let cases: &[&[u8]] = &[
            b"",
            b"hello",
            "κόσμε".as_bytes(),
            "a€b𝄞c".as_bytes(),
            b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited",
            b"\xf4\x90\x80\x80",
            b"\xc0\xaf",
            b"\xe0\x80\xaf",
            b"\xed\xa0\x80",
            b"\xf0\x9f\x98",
            b"\xff",
            b"abc\xe2\x82",
            b"\x80",
        ];
        for text in cases {
            agrees(text);
        }
    }

    #[test]
    fn fails_fast_on_a_prefix_that_cannot_be_text() {
        let mut check = Utf8::new();
        assert_eq!(
            check.push(b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xf4\x90"),
            Err(InvalidUtf8)
        );
    }
}
