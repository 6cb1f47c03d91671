//! The adapter and device: limits asked of the adapter, errors captured as values, and async
//! readback (`map_async` + a future; natively the device is polled, in the browser the promise
//! resolves on the event loop, so nothing here blocks a path the browser uses).

use crate::backend_error;
use crate::buf::Buf;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use wick_engine::Result;

/// How to pick and set up the device.
#[derive(Clone, Debug)]
pub struct GpuOptions {
    /// Prefer a discrete GPU over an integrated one.
    pub high_performance: bool,
    /// Where the adapter has `shader-f16`: stage the matmul tiles in f16 (half the workgroup
    /// memory and its traffic; operands rounded to f16, about 1e-3 relative error; products
    /// and sums stay f32). Off by default: fp32 is what matches PyTorch.
    pub allow_f16: bool,
}

impl Default for GpuOptions {
    fn default() -> Self {
        GpuOptions {
            high_performance: true,
            allow_f16: false,
        }
    }
}

/// What the device is, for logs and the UI.
#[derive(Clone, Debug)]
pub struct GpuInfo {
    pub name: String,
    pub backend: String,
    pub device_type: String,
    pub shader_f16: bool,
    /// Largest storage buffer binding, in bytes.
    pub max_storage_binding: u64,
    /// Largest buffer, in bytes.
    pub max_buffer: u64,
}

/// Errors wgpu reports out of band (validation, out of memory, device lost), kept until checked.
#[derive(Default)]
struct ErrorSlot {
    first: Option<String>,
    lost: Option<String>,
}

/// One device and its queue.
pub struct Gpu {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub info: GpuInfo,
    pub limits: wgpu::Limits,
    errors: Arc<Mutex<ErrorSlot>>,
    /// Pipelines and bind groups, made once (see `recorder`).
    pub(crate) cache: std::cell::RefCell<crate::recorder::Cache>,
    /// A small buffer bound where a kernel's optional input is absent.
    pub dummy: Buf,
}

impl Gpu {
    /// Find an adapter and open a device with the adapter's buffer limits (BERT-base's word
    /// embeddings alone are 94 MB) and the WebGPU defaults otherwise, so the kernels stay within
    /// what every browser offers (256 invocations per workgroup, 8 storage buffers per stage).
    pub async fn new(opts: &GpuOptions) -> Result<Gpu> {
        let instance =
            wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let power_preference = if opts.high_performance {
            wgpu::PowerPreference::HighPerformance
        } else {
            wgpu::PowerPreference::LowPower
        };
        let adapter = instance
            .request_adapter(&wgpu::RequestAdapterOptions {
                power_preference,
                force_fallback_adapter: false,
                compatible_surface: None,
                apply_limit_buckets: false,
            })
            .await
            .map_err(|e| {
                backend_error(format!(
                    "no GPU adapter found ({e}); natively install a Vulkan driver \
                     (Debian: mesa-vulkan-drivers libvulkan1), in the browser enable WebGPU"
                ))
            })?;
        let adapter_limits = adapter.limits();
        let shader_f16 = opts.allow_f16 && adapter.features().contains(wgpu::Features::SHADER_F16);
        let mut limits = wgpu::Limits::default();
        limits.max_storage_buffer_binding_size = adapter_limits.max_storage_buffer_binding_size;
        limits.max_buffer_size = adapter_limits.max_buffer_size;
        let features = if shader_f16 {
            wgpu::Features::SHADER_F16
        } else {
            wgpu::Features::empty()
        };
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("wick"),
                required_features: features,
                required_limits: limits.clone(),
                experimental_features: wgpu::ExperimentalFeatures::disabled(),
                memory_hints: wgpu::MemoryHints::Performance,
                trace: wgpu::Trace::Off,
            })
            .await
            .map_err(|e| backend_error(format!("could not open the GPU device: {e}")))?;

        let errors = Arc::new(Mutex::new(ErrorSlot::default()));
        let slot = errors.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            if let Ok(mut s) = slot.lock() {
                s.first.get_or_insert_with(|| e.to_string());
            }
        }));
        let slot = errors.clone();
        device.set_device_lost_callback(move |reason, msg| {
            if let Ok(mut s) = slot.lock() {
                s.lost
                    .get_or_insert_with(|| format!("GPU device lost ({reason:?}): {msg}"));
            }
        });

        let a = adapter.get_info();
        let info = GpuInfo {
            name: a.name,
            backend: format!("{:?}", a.backend),
            device_type: format!("{:?}", a.device_type),
            shader_f16,
            max_storage_binding: limits.max_storage_buffer_binding_size,
            max_buffer: limits.max_buffer_size,
        };
        let dummy = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("dummy"),
            size: 256,
            usage: wgpu::BufferUsages::STORAGE,
            mapped_at_creation: false,
        });
        let dummy = Buf::new(dummy, 0, 64);
        Ok(Gpu {
            device,
            queue,
            info,
            limits,
            errors,
            cache: Default::default(),
            dummy,
        })
    }

    /// Forget cached bind groups (call after replacing buffers by larger ones).
    pub fn clear_bind_groups(&self) {
        self.cache.borrow_mut().clear_bind_groups();
    }

    /// The first error wgpu reported since the device was made (or a lost device), as a value.
    pub fn check(&self) -> Result<()> {
        let s = self
            .errors
            .lock()
            .map_err(|_| backend_error("error slot poisoned"))?;
        if let Some(lost) = &s.lost {
            return Err(backend_error(lost.clone()));
        }
        if let Some(e) = &s.first {
            return Err(backend_error(format!("GPU error: {e}")));
        }
        Ok(())
    }

    /// True once the device is lost (the caller may fall back to the CPU backend).
    pub fn is_lost(&self) -> bool {
        self.errors.lock().map(|s| s.lost.is_some()).unwrap_or(true)
    }

    /// Natively, wait for submitted work (callbacks fire inside); in the browser a no-op, the
    /// event loop drives the callbacks.
    fn poll(&self) -> Result<()> {
        #[cfg(not(target_arch = "wasm32"))]
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| backend_error(format!("GPU poll failed: {e}")))?;
        Ok(())
    }

    /// Wait until every submitted command has run (natively; used by benchmarks).
    pub async fn finish(&self) -> Result<()> {
        let dummy = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("finish"),
            size: 4,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let enc = self.device.create_command_encoder(&Default::default());
        self.queue.submit([enc.finish()]);
        let fut = MapFuture::new(&dummy);
        self.poll()?;
        fut.await?;
        self.check()
    }

    /// A zero-filled storage buffer of `len` 4-byte words.
    pub fn zeros(&self, label: &str, len: usize) -> Result<Buf> {
        let bytes = (len.max(1) * 4) as u64;
        if bytes > self.limits.max_buffer_size {
            return Err(backend_error(format!(
                "{label}: needs a buffer of {} MB, the adapter allows {} MB (max_buffer_size)",
                bytes >> 20,
                self.limits.max_buffer_size >> 20
            )));
        }
        let buffer = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: bytes.next_multiple_of(4),
            usage: wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::COPY_SRC
                | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        Ok(Buf::new(buffer, 0, len.max(1)))
    }

    /// A storage buffer holding `data` (f32 or u32 words).
    pub fn upload<T: bytemuck::Pod>(&self, label: &str, data: &[T]) -> Result<Buf> {
        let words = std::mem::size_of_val(data) / 4;
        let b = self.zeros(label, words)?;
        self.write(&b, data);
        Ok(b)
    }

    /// Overwrite the start of `b` with `data` (queued: visible to the next submission).
    pub fn write<T: bytemuck::Pod>(&self, b: &Buf, data: &[T]) {
        let bytes: &[u8] = bytemuck::cast_slice(data);
        if !bytes.is_empty() {
            debug_assert!(
                bytes.len() as u64 <= b.bytes(),
                "write past the end of a buffer"
            );
            self.queue.write_buffer(&b.buffer, b.offset, bytes);
        }
    }

    /// Read `bufs` back (one submission, one wait). Async: a promise in the browser.
    pub async fn read_many(&self, bufs: &[&Buf]) -> Result<Vec<Vec<f32>>> {
        self.check()?;
        let mut enc = self.device.create_command_encoder(&Default::default());
        let stagings: Vec<wgpu::Buffer> = bufs
            .iter()
            .map(|b| {
                let s = self.device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("readback"),
                    size: b.bytes(),
                    usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                });
                enc.copy_buffer_to_buffer(&b.buffer, b.offset, &s, 0, b.bytes());
                s
            })
            .collect();
        self.queue.submit([enc.finish()]);
        let futures: Vec<MapFuture> = stagings.iter().map(MapFuture::new).collect();
        self.poll()?;
        let mut out = Vec::with_capacity(bufs.len());
        for (fut, s) in futures.into_iter().zip(&stagings) {
            fut.await?;
            let view = s
                .get_mapped_range(..)
                .map_err(|e| backend_error(format!("readback: {e}")))?;
            out.push(bytemuck::cast_slice::<u8, f32>(&view).to_vec());
            drop(view);
            s.unmap();
        }
        self.check()?;
        Ok(out)
    }

    /// Read one buffer back as f32.
    pub async fn read(&self, b: &Buf) -> Result<Vec<f32>> {
        Ok(self.read_many(&[b]).await?.pop().unwrap_or_default())
    }

    /// Read one buffer back as u32.
    pub async fn read_u32(&self, b: &Buf) -> Result<Vec<u32>> {
        Ok(self.read(b).await?.into_iter().map(f32::to_bits).collect())
    }
}

/// Resolves when `map_async` calls back: immediately after a native poll, on the event loop in
/// the browser.
struct MapFuture {
    state: Arc<Mutex<MapState>>,
}

#[derive(Default)]
struct MapState {
    result: Option<std::result::Result<(), wgpu::BufferAsyncError>>,
    waker: Option<Waker>,
}

impl MapFuture {
    fn new(buffer: &wgpu::Buffer) -> MapFuture {
        let state = Arc::new(Mutex::new(MapState::default()));
        let s = state.clone();
        buffer.map_async(wgpu::MapMode::Read, .., move |r| {
            if let Ok(mut st) = s.lock() {
                st.result = Some(r);
                if let Some(w) = st.waker.take() {
                    w.wake();
                }
            }
        });
        MapFuture { state }
    }
}

impl Future for MapFuture {
    type Output = Result<()>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let Ok(mut st) = self.state.lock() else {
            return Poll::Ready(Err(backend_error("readback state poisoned")));
        };
        match st.result.take() {
            Some(Ok(())) => Poll::Ready(Ok(())),
            Some(Err(e)) => Poll::Ready(Err(backend_error(format!("readback failed: {e}")))),
            None => {
                st.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
