//! Integration tests of the `test-apiserver` crate, in one test binary: the server over real
//! HTTP (`http`), its list modes and streaming lists (`lists`) and the `test-apiserver` binary
//! itself (`binary`).

mod binary;
mod http;
mod lists;
mod managed_fields;
mod rbac;
