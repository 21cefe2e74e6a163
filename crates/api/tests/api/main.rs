#![allow(dead_code)]

mod harness;
mod support;
