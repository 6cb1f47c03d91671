//! The WGSL kernels and their Rust wrappers, one file pair per layer. Each wrapper states the
//! shapes it expects in a comment, as the kernel does.
//!
//! | module | kernels |
//! |---|---|
//! | `embedding` | `embedding_forward`, `embedding_backward` (grouped by id, no atomics) |
//! | `layernorm` | `layernorm_forward`, `layernorm_backward`, `layernorm_param_backward` |
//! | `matmul` | `matmul` (tiled, register-blocked, strided, batched), `bias_backward` |
//! | `attention` | `softmax_forward`, `softmax_backward` (+ strided matmuls) |
//! | `elementwise` | `dropout`, `dropout_inplace`, `dropout_add`, GELU, tanh, ReLU fwd/bwd |
//! | `loss` | `cross_entropy`, `mse` |
//! | `optim` | `grad_norm_partial`, `grad_norm_final`, `adamw` |

pub mod attention;
pub mod elementwise;
pub mod embedding;
pub mod layernorm;
pub mod loss;
pub mod matmul;
pub mod optim;

pub use elementwise::Dropout;
