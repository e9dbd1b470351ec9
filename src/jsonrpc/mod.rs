//! JSON-RPC as Odoo 8–18 serve it on `/jsonrpc` (and on the `type='json'` web routes): the
//! mapping between JSON and the [`crate::xmlrpc::Value`] model the client and the simulator
//! work with, the request and response envelopes, and a push decoder that reads the ids of a
//! `search` answer as they arrive; and JSON-2's bodies (Odoo 19+, [`json2`]): named arguments,
//! bare results, errors as HTTP statuses. Like `xmlrpc`, this module knows nothing about Odoo's
//! models.
//!
//! The value mapping is faithful both ways: JSON integers are `Int` and numbers with a
//! fraction or exponent are `Double` (Python's `json` writes `1.0` for a float), `null` is
//! `Nil` (Python's `None`), objects keep their member order. `dateTime.iso8601` and `base64`
//! values have no JSON type: they travel as strings, as Odoo sends them.

mod envelope;
mod ids;
pub mod json2;
mod value;

pub use envelope::{
    DecodeError, ErrorData, Request, Response, RpcError, decode_request, decode_response,
    encode_call, encode_error, encode_result,
};
pub use ids::{IdsDecoder, IdsResponse};
pub use value::{FromJson, Json};
