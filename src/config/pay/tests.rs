//! Tests of the `[pay]` section.
