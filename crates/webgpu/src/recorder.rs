//! Recording a step: kernels are called in order (llm.c style) and become dispatches in one
//! command encoder, submitted once.
//!
//! Every kernel's binding 0 is a small uniform of shapes and scalars with a *dynamic offset*
//! into one parameter buffer, so a bind group depends only on the storage buffers it binds.
//! Those are fixed (sized for the longest batch), so each bind group is made once and cached;
//! per batch only the parameter bytes change (one `write_buffer` per submission).

use crate::buf::{Buf, ALIGN_BYTES};
use crate::gpu::Gpu;
use std::collections::HashMap;

/// How a kernel uses a storage binding (bindings 1.. in WGSL order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    ReadWrite,
}

/// One WGSL entry point: its module's source, name, and storage bindings.
pub struct Kernel {
    pub source: &'static str,
    pub entry: &'static str,
    pub bindings: &'static [Access],
}

/// Helpers every kernel module may use (RNG, erf, index math); prepended to each source.
const COMMON: &str = include_str!("kernels/common.wgsl");

/// Size of one dispatch's parameter slot (the dynamic-offset alignment).
const PARAM_SLOT: u64 = ALIGN_BYTES;
/// Largest grid dimension used (WebGPU guarantees 65535).
const MAX_GRID_X: u32 = 32768;

struct Pipeline {
    id: usize,
    pipeline: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
}

/// Pipelines and bind groups, made once per device and reused across steps.
#[derive(Default)]
pub struct Cache {
    pipelines: HashMap<&'static str, Pipeline>,
    bind_groups: HashMap<(usize, Vec<(u64, u64, u64)>), wgpu::BindGroup>,
    params: Option<(wgpu::Buffer, u64)>,
}

impl Cache {
    /// Forget cached bind groups (after buffers were replaced by larger ones).
    pub fn clear_bind_groups(&mut self) {
        self.bind_groups.clear();
    }

    fn pipeline(&mut self, gpu: &Gpu, k: &Kernel) -> &Pipeline {
        let next_id = self.pipelines.len();
        self.pipelines.entry(k.entry).or_insert_with(|| {
            let mut entries = vec![wgpu::BindGroupLayoutEntry {
                binding: 0,
                visibility: wgpu::ShaderStages::COMPUTE,
                ty: wgpu::BindingType::Buffer {
                    ty: wgpu::BufferBindingType::Uniform,
                    has_dynamic_offset: true,
                    min_binding_size: None,
                },
                count: None,
            }];
            for (i, a) in k.bindings.iter().enumerate() {
                entries.push(wgpu::BindGroupLayoutEntry {
                    binding: i as u32 + 1,
                    visibility: wgpu::ShaderStages::COMPUTE,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Storage {
                            read_only: *a == Access::Read,
                        },
                        has_dynamic_offset: false,
                        min_binding_size: None,
                    },
                    count: None,
                });
            }
            let layout = gpu
                .device
                .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                    label: Some(k.entry),
                    entries: &entries,
                });
            let pl = gpu
                .device
                .create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                    label: Some(k.entry),
                    bind_group_layouts: &[Some(&layout)],
                    immediate_size: 0,
                });
            // `enable` directives must open the module, before the common helpers.
            let (enables, body) = match k.source.strip_prefix("enable f16;") {
                Some(body) => ("enable f16;\n", body),
                None => ("", k.source),
            };
            let source = format!("{enables}{COMMON}\n{body}");
            let module = gpu
                .device
                .create_shader_module(wgpu::ShaderModuleDescriptor {
                    label: Some(k.entry),
                    source: wgpu::ShaderSource::Wgsl(source.into()),
                });
            let pipeline = gpu
                .device
                .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                    label: Some(k.entry),
                    layout: Some(&pl),
                    module: &module,
                    entry_point: Some(k.entry),
                    compilation_options: Default::default(),
                    cache: None,
                });
            Pipeline {
                id: next_id,
                pipeline,
                layout,
            }
        })
    }

    /// The parameter buffer, grown (and bind groups forgotten) when a step needs more slots.
    fn params_buffer(&mut self, gpu: &Gpu, bytes: u64) -> wgpu::Buffer {
        match &self.params {
            Some((b, cap)) if *cap >= bytes => b.clone(),
            _ => {
                let cap = bytes.max(64 * 1024).next_power_of_two();
                let b = gpu.device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("kernel params"),
                    size: cap,
                    usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                });
                self.bind_groups.clear();
                self.params = Some((b.clone(), cap));
                b
            }
        }
    }
}

enum Op {
    Dispatch {
        kernel: &'static Kernel,
        bufs: Vec<Buf>,
        param_offset: u64,
        grid: [u32; 3],
    },
    Clear(Buf),
    Copy {
        src: Buf,
        dst: Buf,
    },
}

/// The commands of one submission, recorded in order.
pub struct Recorder<'g> {
    gpu: &'g Gpu,
    ops: Vec<Op>,
    params: Vec<u8>,
}

impl<'g> Recorder<'g> {
    pub fn new(gpu: &'g Gpu) -> Self {
        Recorder {
            gpu,
            ops: Vec::new(),
            params: Vec::new(),
        }
    }

    pub fn gpu(&self) -> &'g Gpu {
        self.gpu
    }

    /// Queue one dispatch of `kernel` over `grid` workgroups with `params` at binding 0 and
    /// `bufs` at bindings 1.. (in the kernel's order).
    pub fn dispatch<P: bytemuck::Pod>(
        &mut self,
        kernel: &'static Kernel,
        params: &P,
        bufs: &[&Buf],
        grid: [u32; 3],
    ) {
        assert_eq!(
            bufs.len(),
            kernel.bindings.len(),
            "{}: wrong number of buffers",
            kernel.entry
        );
        let bytes = bytemuck::bytes_of(params);
        assert!(
            bytes.len() as u64 <= PARAM_SLOT,
            "{}: params too large",
            kernel.entry
        );
        let param_offset = self.params.len() as u64;
        self.params.extend_from_slice(bytes);
        self.params.resize((param_offset + PARAM_SLOT) as usize, 0);
        if grid.iter().any(|&g| g == 0) {
            return; // nothing to do (an empty shape)
        }
        let bufs = bufs.iter().map(|b| (*b).clone()).collect();
        self.ops.push(Op::Dispatch {
            kernel,
            bufs,
            param_offset,
            grid,
        });
    }

    /// Queue zero-filling `b`.
    pub fn clear(&mut self, b: &Buf) {
        self.ops.push(Op::Clear(b.clone()));
    }

    /// Queue copying `src` into the start of `dst`.
    pub fn copy(&mut self, src: &Buf, dst: &Buf) {
        assert!(src.len <= dst.len, "copy into a smaller buffer");
        self.ops.push(Op::Copy {
            src: src.clone(),
            dst: dst.clone(),
        });
    }

    /// Encode everything into one command encoder and submit it.
    pub fn submit(self) {
        let gpu = self.gpu;
        if self.ops.is_empty() {
            return;
        }
        let mut cache = gpu.cache.borrow_mut();
        let params_buf = cache.params_buffer(gpu, self.params.len() as u64);
        gpu.queue.write_buffer(&params_buf, 0, &self.params);

        // Look up (or make, once) each dispatch's pipeline and bind group.
        let mut resolved = Vec::with_capacity(self.ops.len());
        for op in &self.ops {
            if let Op::Dispatch { kernel, bufs, .. } = op {
                let (id, pipeline, layout) = {
                    let p = cache.pipeline(gpu, kernel);
                    (p.id, p.pipeline.clone(), p.layout.clone())
                };
                let key = (
                    id,
                    bufs.iter()
                        .map(|b| (b.id, b.offset, b.bytes()))
                        .collect::<Vec<_>>(),
                );
                let bg = cache
                    .bind_groups
                    .entry(key)
                    .or_insert_with(|| {
                        let mut entries = vec![wgpu::BindGroupEntry {
                            binding: 0,
                            resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                                buffer: &params_buf,
                                offset: 0,
                                size: wgpu::BufferSize::new(PARAM_SLOT),
                            }),
                        }];
                        for (i, b) in bufs.iter().enumerate() {
                            entries.push(wgpu::BindGroupEntry {
                                binding: i as u32 + 1,
                                resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                                    buffer: &b.buffer,
                                    offset: b.offset,
                                    size: wgpu::BufferSize::new(b.bytes()),
                                }),
                            });
                        }
                        gpu.device.create_bind_group(&wgpu::BindGroupDescriptor {
                            label: Some(kernel.entry),
                            layout: &layout,
                            entries: &entries,
                        })
                    })
                    .clone();
                resolved.push(Some((pipeline, bg)));
            } else {
                resolved.push(None);
            }
        }
        drop(cache);

        let mut enc = gpu.device.create_command_encoder(&Default::default());
        let mut i = 0;
        while i < self.ops.len() {
            match &self.ops[i] {
                Op::Clear(b) => {
                    enc.clear_buffer(&b.buffer, b.offset, Some(b.bytes()));
                    i += 1;
                }
                Op::Copy { src, dst } => {
                    enc.copy_buffer_to_buffer(
                        &src.buffer,
                        src.offset,
                        &dst.buffer,
                        dst.offset,
                        src.bytes(),
                    );
                    i += 1;
                }
                Op::Dispatch { .. } => {
                    // Consecutive dispatches share one compute pass.
                    let mut pass = enc.begin_compute_pass(&Default::default());
                    while let Some(Op::Dispatch {
                        param_offset, grid, ..
                    }) = self.ops.get(i)
                    {
                        if let Some((pipeline, bg)) = &resolved[i] {
                            pass.set_pipeline(pipeline);
                            pass.set_bind_group(0, bg, &[*param_offset as u32]);
                            pass.dispatch_workgroups(grid[0], grid[1], grid[2]);
                        }
                        i += 1;
                    }
                }
            }
        }
        gpu.queue.submit([enc.finish()]);
    }
}

/// A grid of `n` workgroups for one-dimensional work: `x * y >= n`, `x <= 32768`. Kernels
/// recover the index as `wid.x + wid.y * nwg.x` (see `common.wgsl`) and skip `>= n`.
pub fn grid(n: usize) -> [u32; 3] {
    let n = n as u32;
    if n <= MAX_GRID_X {
        [n, 1, 1]
    } else {
        [MAX_GRID_X, n.div_ceil(MAX_GRID_X), 1]
    }
}
