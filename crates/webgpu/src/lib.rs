//! WebGPU backend.
