//! A request body that can be offered to several upstream attempts but is streamed at most
//! once: each attempt gets a [`OnceBody`] over the same [`BodySlot`]; the first attempt that
//! reads it takes the client's body out of the slot, and from then on the slot says the body
//! was (at least partly) sent, so the request is not retried elsewhere. Nothing is buffered.

use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use hyper::body::{Body, Bytes, Frame, Incoming, SizeHint};

/// The client's request body, until one attempt starts reading it.
#[derive(Clone, Debug)]
pub(crate) struct BodySlot {
    body: Arc<Mutex<Option<Incoming>>>,
    hint: SizeHint,
    end: bool,
}

impl BodySlot {
    pub(crate) fn new(body: Incoming) -> BodySlot {
        BodySlot {
            hint: body.size_hint(),
            end: body.is_end_stream(),
            body: Arc::new(Mutex::new(Some(body))),
        }
    }

    /// Whether no attempt has read the body yet (an empty body is never read, so a request
    /// without one can always be sent again).
    pub(crate) fn unsent(&self) -> bool {
        self.body
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some()
    }

    /// A body for one more attempt.
    pub(crate) fn attempt(&self) -> OnceBody {
        OnceBody {
            slot: Some(self.clone()),
            taken: None,
        }
    }
}

/// One attempt's view of a [`BodySlot`].
#[derive(Debug)]
pub(crate) struct OnceBody {
    slot: Option<BodySlot>,
    taken: Option<Incoming>,
}

impl Body for OnceBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = &mut *self;
        if let Some(slot) = this.slot.take() {
            this.taken = slot
                .body
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
        }
        match this.taken.as_mut() {
            Some(body) => Pin::new(body).poll_frame(cx),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        match (&self.slot, &self.taken) {
            (Some(slot), _) => slot.end,
            (None, Some(body)) => body.is_end_stream(),
            (None, None) => true,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match (&self.slot, &self.taken) {
            (Some(slot), _) => slot.hint,
            (None, Some(body)) => body.size_hint(),
            (None, None) => SizeHint::with_exact(0),
        }
    }
}
