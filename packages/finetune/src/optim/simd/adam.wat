;; Adam / AdamW's element loop (fused-adam.ts: adamKernel) over four lanes at a time, in float32.
;; Each f32x4 operation is IEEE-rounded to float32, as the JavaScript loop's Math.fround of a
;; float64 product, quotient, sum or square root of float32 values is, so both give the same bits.
;; Compiled by scripts/build-simd.mjs into adam-wasm.ts; keep the two in step.
;;
;; The module owns its memory: four chunk buffers of CHUNK = 16384 float32 each (one 64 KiB page
;; apiece) at byte offsets P = 0, G = 65536, M = 131072, V = 196608. The caller copies a chunk of
;; the parameter, gradient and moments in, calls `adam`, and copies P (the new parameter), M and
;; V out. Lanes past n in the last group of four are computed on whatever the buffers hold and
;; never copied out.
(module
  (memory (export "memory") 4 4)

  ;; $first: the moments start as (1 - b1)·g and (1 - b2)·g² (M and V are not read).
  ;; $useL2: g += p·l2 (Adam's L2 decay, on the undecayed p). $decay multiplies p first (AdamW;
  ;; 1 when there is none, which leaves every value's bits as they are), $scale multiplies g first
  ;; (1 for no clipping, likewise).
  (func (export "adam")
    (param $n i32) (param $scale f32) (param $decay f32) (param $l2 f32) (param $useL2 i32) (param $first i32)
    (param $beta1 f32) (param $beta2 f32) (param $ob1 f32) (param $ob2 f32) (param $sqrtBc2 f32) (param $eps f32) (param $stepSize f32)
    (local $o i32) (local $end i32)
    (local $vs v128) (local $vd v128) (local $vl2 v128) (local $useL2m v128) (local $firstm v128)
    (local $vb1 v128) (local $vb2 v128) (local $vob1 v128) (local $vob2 v128) (local $vbc v128) (local $veps v128) (local $vstep v128)
    (local $p v128) (local $g v128) (local $gg v128) (local $m v128) (local $v v128) (local $denom v128)
    (local.set $vs (f32x4.splat (local.get $scale)))
    (local.set $vd (f32x4.splat (local.get $decay)))
    (local.set $vl2 (f32x4.splat (local.get $l2)))
    (local.set $useL2m (i32x4.splat (i32.sub (i32.const 0) (i32.ne (local.get $useL2) (i32.const 0)))))
    (local.set $firstm (i32x4.splat (i32.sub (i32.const 0) (i32.ne (local.get $first) (i32.const 0)))))
    (local.set $vb1 (f32x4.splat (local.get $beta1)))
    (local.set $vb2 (f32x4.splat (local.get $beta2)))
    (local.set $vob1 (f32x4.splat (local.get $ob1)))
    (local.set $vob2 (f32x4.splat (local.get $ob2)))
    (local.set $vbc (f32x4.splat (local.get $sqrtBc2)))
    (local.set $veps (f32x4.splat (local.get $eps)))
    (local.set $vstep (f32x4.splat (local.get $stepSize)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $o (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (local.set $g (f32x4.mul (v128.load offset=65536 (local.get $o)) (local.get $vs)))
      (local.set $p (v128.load offset=0 (local.get $o)))
      ;; g + p·l2 with the undecayed p where Adam's L2 decay applies, else g as it is.
      (local.set $g (v128.bitselect
        (f32x4.add (local.get $g) (f32x4.mul (local.get $p) (local.get $vl2)))
        (local.get $g) (local.get $useL2m)))
      (local.set $p (f32x4.mul (local.get $p) (local.get $vd)))
      (local.set $gg (f32x4.mul (local.get $g) (local.get $g)))
      (local.set $m (v128.bitselect
        (f32x4.mul (local.get $g) (local.get $vob1))
        (f32x4.add (f32x4.mul (v128.load offset=131072 (local.get $o)) (local.get $vb1)) (f32x4.mul (local.get $g) (local.get $vob1)))
        (local.get $firstm)))
      (local.set $v (v128.bitselect
        (f32x4.mul (local.get $gg) (local.get $vob2))
        (f32x4.add (f32x4.mul (v128.load offset=196608 (local.get $o)) (local.get $vb2)) (f32x4.mul (local.get $gg) (local.get $vob2)))
        (local.get $firstm)))
      (v128.store offset=131072 (local.get $o) (local.get $m))
      (v128.store offset=196608 (local.get $o) (local.get $v))
      (local.set $denom (f32x4.add (f32x4.div (f32x4.sqrt (local.get $v)) (local.get $vbc)) (local.get $veps)))
      (v128.store offset=0 (local.get $o)
        (f32x4.sub (local.get $p) (f32x4.mul (f32x4.div (local.get $m) (local.get $denom)) (local.get $vstep))))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br $next)))
  )
)
