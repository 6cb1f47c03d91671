//! `a @ b` for 2-D f32 tensors on all the threads the CPU backend has, with its backward.
//!
//! candle's own matmul asks gemm for as many threads as std reports, which in the browser is
//! one. This op makes the same gemm call as candle's `Tensor::matmul` (the operands' strides
//! as they are, no copies; `read_dst` off, `beta` 1) with the thread count of the rayon pool
//! it runs in (`parallel::num_threads`), so its numbers are candle's, whatever the count:
//! gemm splits the rows and columns of the product among threads, never the sum over `k`.
//! The backward is candle's too: dA = dC @ B^T, dB = A^T @ dC, through this op.

use crate::parallel;
use candle_core::{bail, CpuStorage, CustomOp2, Layout, Shape, Tensor};
use gemm::{gemm, Parallelism};

type Result<T> = candle_core::Result<T>;

/// `a [m, k] @ b [k, n] -> [m, n]`, f32, any strides.
pub fn matmul(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    a.apply_op2(b, MatMul2d)
}

struct MatMul2d;

impl CustomOp2 for MatMul2d {
    fn name(&self) -> &'static str {
        "matmul_2d"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (CpuStorage::F32(a), CpuStorage::F32(b)) = (s1, s2) else {
            bail!("matmul_2d: f32 operands only")
        };
        let ((m, k), (k2, n)) = (l1.shape().dims2()?, l2.shape().dims2()?);
        if k != k2 {
            bail!("matmul_2d: [{m}, {k}] @ [{k2}, {n}]")
        }
        let (a, b) = (&a[l1.start_offset()..], &b[l2.start_offset()..]);
        let (a_rs, a_cs) = (l1.stride()[0] as isize, l1.stride()[1] as isize);
        let (b_rs, b_cs) = (l2.stride()[0] as isize, l2.stride()[1] as isize);
        let mut c = vec![0f32; m * n];
        let threads = parallel::num_threads();
        let parallelism = if threads > 1 {
            Parallelism::Rayon(threads)
        } else {
            Parallelism::None
        };
        if m * n > 0 && k > 0 {
            // SAFETY: the layouts were checked by candle against the storages: every element
            // gemm reads, a[i * a_rs + p * a_cs] and b[p * b_rs + j * b_cs], is in bounds;
            // c is m x n, row-major.
            unsafe {
                gemm(
                    m,
                    n,
                    k,
                    c.as_mut_ptr(),
                    1,
                    n as isize,
                    false,
                    a.as_ptr(),
                    a_cs,
                    a_rs,
                    b.as_ptr(),
                    b_cs,
                    b_rs,
                    0.0,
                    1.0,
                    false,
                    false,
                    false,
                    parallelism,
                )
            }
        }
        Ok((CpuStorage::F32(c), Shape::from((m, n))))
    }

    fn bwd(
        &self,
        a: &Tensor,
        b: &Tensor,
        _c: &Tensor,
        dc: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        Ok((Some(matmul(dc, &b.t()?)?), Some(matmul(&a.t()?, dc)?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};
    use std::sync::Arc;

    fn tensor(rows: usize, cols: usize, seed: u32) -> Tensor {
        let data: Vec<f32> = (0..rows * cols)
            .map(|i| {
                ((i as u32).wrapping_mul(2654435761).wrapping_add(seed) % 2001) as f32 / 1000.0
                    - 1.0
            })
            .collect();
        Tensor::from_vec(data, (rows, cols), &Device::Cpu).unwrap()
    }

    fn bits(t: &Tensor) -> Vec<u32> {
        t.flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap()
            .iter()
            .map(|x| x.to_bits())
            .collect()
    }

    /// Forward and both gradients of `x @ w^T` (a linear layer's shape: w is a transposed view).
    fn linear_grads(x: &Tensor, w: &Var) -> (Vec<u32>, Vec<u32>, Vec<u32>) {
        let y = matmul(x, &w.as_tensor().t().unwrap()).unwrap();
        let grads = y.sqr().unwrap().sum_all().unwrap().backward().unwrap();
        let dw = grads.get(w.as_tensor()).unwrap();
        let dx = grads.get(x).unwrap();
        (bits(&y), bits(dw), bits(dx))
    }

    #[test]
    fn equals_candle_matmul_bit_for_bit_with_its_backward() {
        let x = Var::from_tensor(&tensor(70, 96, 1)).unwrap();
        let w = Var::from_tensor(&tensor(130, 96, 2)).unwrap();
        let ours = linear_grads(x.as_tensor(), &w);
        let y = x.as_tensor().matmul(&w.as_tensor().t().unwrap()).unwrap();
        let grads = y.sqr().unwrap().sum_all().unwrap().backward().unwrap();
        let candle = (
            bits(&y),
            bits(grads.get(w.as_tensor()).unwrap()),
            bits(grads.get(x.as_tensor()).unwrap()),
        );
        assert!(ours == candle, "matmul_2d differs from candle's matmul");
    }

    #[test]
    fn the_thread_count_changes_no_bit() {
        // Big enough that gemm splits the work (its threshold is 48^3 multiply-adds).
        let x = Var::from_tensor(&tensor(256, 384, 3)).unwrap();
        let w = Var::from_tensor(&tensor(1536, 384, 4)).unwrap();
        let on = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                assert_eq!(parallel::num_threads(), threads);
                linear_grads(x.as_tensor(), &w)
            })
        };
        let one = on(1);
        assert!(one == on(2), "2 threads give other bits than 1");
        assert!(one == on(3), "3 threads give other bits than 1");
        // And through `parallel::set_pool` / `run`, as the browser's worker does.
        parallel::set_pool(Some(Arc::new(
            rayon::ThreadPoolBuilder::new()
                .num_threads(2)
                .build()
                .unwrap(),
        )));
        let run = parallel::run(|| (parallel::num_threads(), linear_grads(x.as_tensor(), &w)));
        parallel::set_pool(None);
        assert_eq!(run.0, 2);
        assert!(one == run.1, "parallel::run gives other bits");
    }
}
