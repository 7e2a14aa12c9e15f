;; tfkit's WebAssembly SIMD kernels, run over tfjs-backend-wasm's own heap (the memory is
;; imported: they read tensors where the backend keeps them, no copies). Compiled by
;; scripts/build-simd.mjs into kernels-wasm.ts; keep the two in step. The exp-based kernels (GELU,
;; softmax cross-entropy) are in elementwise.wat: each module stays under the 4 kB a page's main
;; thread may compile synchronously.
;;
;; The two halves of a decoding step's attention for one head (TfkitCachedAttention), in float64
;; like the JavaScript loops they replace (two lanes per SIMD operation), the softmax between
;; them left to JavaScript (Math.exp); the layer norm and residual addition of TfkitLayerNorm and
;; TfkitAddLayerNorm; the matrix products of TfkitBatchMatMul and TfkitDense (float32, four
;; lanes). The build also derives a relaxed-SIMD copy of `gemm` (relaxed-wasm.ts: each multiply
;; and add one f32x4.relaxed_madd, a fused multiply-add where the CPU has one) from this text.
(module
  (import "env" "memory" (memory 1))

  ;; out[j] = scale * sum_i q[i] * k[j * d + i] for j < n, in float64.
  ;; q: d float64 (the query, widened once); k: n rows of d float32; out: n float64.
  ;; Eight columns per step in four two-lane partial sums, the rest one at a time.
  (func (export "scores")
    (param $q i32) (param $k i32) (param $n i32) (param $d i32) (param $scale f64) (param $out i32)
    (local $j i32) (local $i i32) (local $d8 i32) (local $row i32) (local $kp i32) (local $qp i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $s f64)
    (local.set $d8 (i32.and (local.get $d) (i32.const -8)))
    (local.set $row (local.get $k))
    (local.set $j (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $a0 (v128.const i64x2 0 0))
      (local.set $a1 (v128.const i64x2 0 0))
      (local.set $a2 (v128.const i64x2 0 0))
      (local.set $a3 (v128.const i64x2 0 0))
      (local.set $kp (local.get $row))
      (local.set $qp (local.get $q))
      (local.set $i (i32.const 0))
      (block $cols (loop $col
        (br_if $cols (i32.ge_u (local.get $i) (local.get $d8)))
        (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (v128.load offset=0 (local.get $qp))
          (f64x2.promote_low_f32x4 (v128.load64_zero offset=0 (local.get $kp))))))
        (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (v128.load offset=16 (local.get $qp))
          (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (local.get $kp))))))
        (local.set $a2 (f64x2.add (local.get $a2) (f64x2.mul (v128.load offset=32 (local.get $qp))
          (f64x2.promote_low_f32x4 (v128.load64_zero offset=16 (local.get $kp))))))
        (local.set $a3 (f64x2.add (local.get $a3) (f64x2.mul (v128.load offset=48 (local.get $qp))
          (f64x2.promote_low_f32x4 (v128.load64_zero offset=24 (local.get $kp))))))
        (local.set $kp (i32.add (local.get $kp) (i32.const 32)))
        (local.set $qp (i32.add (local.get $qp) (i32.const 64)))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $col)))
      (local.set $a0 (f64x2.add (f64x2.add (local.get $a0) (local.get $a1)) (f64x2.add (local.get $a2) (local.get $a3))))
      (local.set $s (f64.add (f64x2.extract_lane 0 (local.get $a0)) (f64x2.extract_lane 1 (local.get $a0))))
      (block $tail (loop $t
        (br_if $tail (i32.ge_u (local.get $i) (local.get $d)))
        (local.set $s (f64.add (local.get $s) (f64.mul (f64.load (local.get $qp)) (f64.promote_f32 (f32.load (local.get $kp))))))
        (local.set $kp (i32.add (local.get $kp) (i32.const 4)))
        (local.set $qp (i32.add (local.get $qp) (i32.const 8)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $t)))
      (f64.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 3))) (f64.mul (local.get $s) (local.get $scale)))
      (local.set $row (i32.add (local.get $row) (i32.shl (local.get $d) (i32.const 2))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $next)))
  )

  ;; out[i] = float32(sum_j p[j] * v[j * d + i]) for i < d, each sum over j in order in float64.
  ;; p: n float64 (the probabilities); v: n rows of d float32; out: d float32.
  ;; Eight columns at a time (four two-lane sums), the rest one at a time.
  (func (export "weighted")
    (param $p i32) (param $v i32) (param $n i32) (param $d i32) (param $out i32)
    (local $i i32) (local $j i32) (local $d8 i32) (local $rs i32) (local $vp i32) (local $pp i32) (local $pj v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $s f64) (local $o i32)
    (local.set $d8 (i32.and (local.get $d) (i32.const -8)))
    (local.set $rs (i32.shl (local.get $d) (i32.const 2)))
    (local.set $i (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $d8)))
      (local.set $a0 (v128.const i64x2 0 0))
      (local.set $a1 (v128.const i64x2 0 0))
      (local.set $a2 (v128.const i64x2 0 0))
      (local.set $a3 (v128.const i64x2 0 0))
      (local.set $vp (i32.add (local.get $v) (i32.shl (local.get $i) (i32.const 2))))
      (local.set $pp (local.get $p))
      (local.set $j (i32.const 0))
      (block $rows (loop $row
        (br_if $rows (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $pj (v128.load64_splat (local.get $pp)))
        (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $pj) (f64x2.promote_low_f32x4 (v128.load64_zero offset=0 (local.get $vp))))))
        (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $pj) (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (local.get $vp))))))
        (local.set $a2 (f64x2.add (local.get $a2) (f64x2.mul (local.get $pj) (f64x2.promote_low_f32x4 (v128.load64_zero offset=16 (local.get $vp))))))
        (local.set $a3 (f64x2.add (local.get $a3) (f64x2.mul (local.get $pj) (f64x2.promote_low_f32x4 (v128.load64_zero offset=24 (local.get $vp))))))
        (local.set $vp (i32.add (local.get $vp) (local.get $rs)))
        (local.set $pp (i32.add (local.get $pp) (i32.const 8)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $row)))
      (local.set $o (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2))))
      (v128.store64_lane offset=0 0 (local.get $o) (f32x4.demote_f64x2_zero (local.get $a0)))
      (v128.store64_lane offset=8 0 (local.get $o) (f32x4.demote_f64x2_zero (local.get $a1)))
      (v128.store64_lane offset=16 0 (local.get $o) (f32x4.demote_f64x2_zero (local.get $a2)))
      (v128.store64_lane offset=24 0 (local.get $o) (f32x4.demote_f64x2_zero (local.get $a3)))
      (local.set $i (i32.add (local.get $i) (i32.const 8)))
      (br $next)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $d)))
      (local.set $s (f64.const 0))
      (local.set $vp (i32.add (local.get $v) (i32.shl (local.get $i) (i32.const 2))))
      (local.set $pp (local.get $p))
      (local.set $j (i32.const 0))
      (block $rows (loop $row
        (br_if $rows (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $s (f64.add (local.get $s) (f64.mul (f64.load (local.get $pp)) (f64.promote_f32 (f32.load (local.get $vp))))))
        (local.set $vp (i32.add (local.get $vp) (local.get $rs)))
        (local.set $pp (i32.add (local.get $pp) (i32.const 8)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $row)))
      (f32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2))) (f32.demote_f64 (local.get $s)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
  )

  ;; Layer norm of `rows` rows of `width` float32 at x into y, as normalizeRows in
  ;; fused-kernels.ts computes it: mean and the biased variance in float64 (two lanes, then the
  ;; lanes added), rstd = 1/sqrt(var + eps), y = ((x - mean) * rstd) * g + b in float64 rounded
  ;; once (g, b: 0 for none); row means and rstds (float32) into means and rstds.
  (func (export "layerNorm")
    (param $x i32) (param $y i32) (param $rows i32) (param $width i32) (param $eps f64)
    (param $g i32) (param $b i32) (param $means i32) (param $rstds i32)
    (local $r i32) (local $i i32) (local $w2 i32) (local $xp i32) (local $yp i32)
    (local $acc v128) (local $m2 v128) (local $d v128) (local $r2 v128) (local $v v128)
    (local $sum f64) (local $mean f64) (local $sq f64) (local $rstd f64) (local $e f64)
    (local.set $w2 (i32.and (local.get $width) (i32.const -2)))
    (local.set $r (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $xp (i32.add (local.get $x) (i32.shl (i32.mul (local.get $r) (local.get $width)) (i32.const 2))))
      (local.set $yp (i32.add (local.get $y) (i32.shl (i32.mul (local.get $r) (local.get $width)) (i32.const 2))))
      ;; sum
      (local.set $acc (v128.const i64x2 0 0))
      (local.set $i (i32.const 0))
      (block $e1 (loop $l1
        (br_if $e1 (i32.ge_u (local.get $i) (local.get $w2)))
        (local.set $acc (f64x2.add (local.get $acc)
          (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $xp) (i32.shl (local.get $i) (i32.const 2)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $l1)))
      (local.set $sum (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc))))
      (if (i32.lt_u (local.get $w2) (local.get $width))
        (then (local.set $sum (f64.add (local.get $sum)
          (f64.promote_f32 (f32.load (i32.add (local.get $xp) (i32.shl (local.get $w2) (i32.const 2)))))))))
      (local.set $mean (f64.div (local.get $sum) (f64.convert_i32_u (local.get $width))))
      ;; biased variance
      (local.set $m2 (f64x2.splat (local.get $mean)))
      (local.set $acc (v128.const i64x2 0 0))
      (local.set $i (i32.const 0))
      (block $e2 (loop $l2
        (br_if $e2 (i32.ge_u (local.get $i) (local.get $w2)))
        (local.set $d (f64x2.sub
          (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $xp) (i32.shl (local.get $i) (i32.const 2)))))
          (local.get $m2)))
        (local.set $acc (f64x2.add (local.get $acc) (f64x2.mul (local.get $d) (local.get $d))))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $l2)))
      (local.set $sq (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc))))
      (if (i32.lt_u (local.get $w2) (local.get $width))
        (then
          (local.set $e (f64.sub (f64.promote_f32 (f32.load (i32.add (local.get $xp) (i32.shl (local.get $w2) (i32.const 2))))) (local.get $mean)))
          (local.set $sq (f64.add (local.get $sq) (f64.mul (local.get $e) (local.get $e))))))
      (local.set $rstd (f64.div (f64.const 1)
        (f64.sqrt (f64.add (f64.div (local.get $sq) (f64.convert_i32_u (local.get $width))) (local.get $eps)))))
      (f32.store (i32.add (local.get $means) (i32.shl (local.get $r) (i32.const 2))) (f32.demote_f64 (local.get $mean)))
      (f32.store (i32.add (local.get $rstds) (i32.shl (local.get $r) (i32.const 2))) (f32.demote_f64 (local.get $rstd)))
      ;; y, two values at a time, then the odd one
      (local.set $r2 (f64x2.splat (local.get $rstd)))
      (local.set $i (i32.const 0))
      (block $e3 (loop $l3
        (br_if $e3 (i32.ge_u (local.get $i) (local.get $w2)))
        (local.set $v (f64x2.mul (f64x2.sub
          (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $xp) (i32.shl (local.get $i) (i32.const 2)))))
          (local.get $m2)) (local.get $r2)))
        (if (local.get $g) (then (local.set $v (f64x2.mul (local.get $v)
          (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $g) (i32.shl (local.get $i) (i32.const 2)))))))))
        (if (local.get $b) (then (local.set $v (f64x2.add (local.get $v)
          (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 2)))))))))
        (v128.store64_lane 0 (i32.add (local.get $yp) (i32.shl (local.get $i) (i32.const 2))) (f32x4.demote_f64x2_zero (local.get $v)))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $l3)))
      (if (i32.lt_u (local.get $w2) (local.get $width))
        (then
          (local.set $e (f64.mul (f64.sub (f64.promote_f32 (f32.load (i32.add (local.get $xp) (i32.shl (local.get $w2) (i32.const 2))))) (local.get $mean)) (local.get $rstd)))
          (if (local.get $g) (then (local.set $e (f64.mul (local.get $e) (f64.promote_f32 (f32.load (i32.add (local.get $g) (i32.shl (local.get $w2) (i32.const 2)))))))))
          (if (local.get $b) (then (local.set $e (f64.add (local.get $e) (f64.promote_f32 (f32.load (i32.add (local.get $b) (i32.shl (local.get $w2) (i32.const 2)))))))))
          (f32.store (i32.add (local.get $yp) (i32.shl (local.get $w2) (i32.const 2))) (f32.demote_f64 (local.get $e)))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $next)))
  )

  ;; out[i] = a[i] + b[i] for i < n, float32 (four lanes, then one at a time).
  (func (export "add")
    (param $a i32) (param $b i32) (param $out i32) (param $n i32)
    (local $i i32) (local $n4 i32)
    (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n4)))
      (v128.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))
        (f32x4.add (v128.load (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2))))
                   (v128.load (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 2))))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $next)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (f32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))
        (f32.add (f32.load (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2))))
                 (f32.load (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 2))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
  )

  ;; c = bias + op(a) · op(b), one 2-D product in float32: op(a) is m×k, its element (i, l) at
  ;; a + i·aRow + l·aCol; op(b) is k×n, its element (l, j) at b + l·bRow + j·bCol (byte strides, so
  ;; either operand may be a transposed view); c is m×n, row i at c + i·cRow (n·4 for a whole
  ;; matrix; more for a band of its columns); bias is n values added to every row, or 0 for none. Each c value is bias (or 0) plus the terms over l in order, in float32 (a
  ;; multiply, then an add, rounded each), as XNNPACK's kernels sum them.
  ;;
  ;; Blocking: the inner axis in blocks of kc (the partial sums wait in c between blocks, which
  ;; keeps the order). In each block, a's rows are first packed four at a time into micro-panels
  ;; after b's (pack + kc·32: kc·4 float32 each, four rows' values side by side for every inner
  ;; index), so the kernel reads them in order whatever a's strides (a transposed a's rows are
  ;; thousands of bytes apart along the inner axis, and four rows read there in place ran at half
  ;; speed); then b eight columns at a time, packed contiguously into `pack` (kc·8 float32) and
  ;; kept in cache while every micro-panel of a passes over it, four rows by eight columns in eight
  ;; accumulators; the last m mod 4 rows one at a time (two accumulators, a read in place), the
  ;; last n mod 8 columns one value at a time. pack holds kc·8 + (m - m mod 4)·kc float32 (kc at
  ;; most k).
  (func (export "gemm")
    (param $a i32) (param $b i32) (param $c i32) (param $bias i32) (param $m i32) (param $n i32) (param $k i32)
    (param $aRow i32) (param $aCol i32) (param $bRow i32) (param $bCol i32) (param $pack i32) (param $kc i32) (param $cRow i32)
    (local $l0 i32) (local $kk i32) (local $i i32) (local $j i32) (local $l i32) (local $nb i32) (local $m4 i32) (local $n8 i32)
    (local $ab i32) (local $bb i32) (local $first i32)
    (local $p0 i32) (local $pa i32) (local $pA i32) (local $pend i32) (local $pb i32) (local $cp i32)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $b0 v128) (local $b1 v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $nb (local.get $cRow))
    (local.set $m4 (i32.and (local.get $m) (i32.const -4)))
    (local.set $n8 (i32.and (local.get $n) (i32.const -8)))
    ;; kc = 0 would never advance: one block for the whole inner axis instead (as for kc > k)
    (if (i32.or (i32.eqz (local.get $kc)) (i32.gt_u (local.get $kc) (local.get $k))) (then (local.set $kc (local.get $k))))
    (local.set $pA (i32.add (local.get $pack) (i32.shl (local.get $kc) (i32.const 5))))
    (local.set $l0 (i32.const 0))
    ;; at least once: with k = 0 the result is the bias (or zeros)
    (loop $kloop
      (local.set $kk (select (local.get $kc) (i32.sub (local.get $k) (local.get $l0))
        (i32.lt_u (local.get $kc) (i32.sub (local.get $k) (local.get $l0)))))
      (local.set $first (i32.eqz (local.get $l0)))
      (local.set $ab (i32.add (local.get $a) (i32.mul (local.get $l0) (local.get $aCol))))
      (local.set $bb (i32.add (local.get $b) (i32.mul (local.get $l0) (local.get $bRow))))
      (call $pack4 (local.get $ab) (local.get $pA) (local.get $m4) (local.get $kk) (local.get $aRow) (local.get $aCol))
      (local.set $j (i32.const 0))
      (block $jdone (loop $jloop
        (br_if $jdone (i32.ge_u (local.get $j) (local.get $n8)))
        (call $pack8 (i32.add (local.get $bb) (i32.mul (local.get $j) (local.get $bCol))) (local.get $pack) (local.get $kk) (local.get $bRow) (local.get $bCol))
        ;; what the accumulators start from in the first block: the bias's eight values, or zeros
        (if (i32.and (local.get $first) (i32.ne (local.get $bias) (i32.const 0)))
          (then
            (local.set $b0 (v128.load offset=0 (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2)))))
            (local.set $b1 (v128.load offset=16 (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2))))))
          (else
            (local.set $b0 (v128.const i64x2 0 0))
            (local.set $b1 (v128.const i64x2 0 0))))
        (local.set $i (i32.const 0))
        (local.set $pa (local.get $pA))
        (block $idone (loop $iloop
          (br_if $idone (i32.ge_u (local.get $i) (local.get $m4)))
          (local.set $cp (i32.add (local.get $c) (i32.add (i32.mul (local.get $i) (local.get $nb)) (i32.shl (local.get $j) (i32.const 2)))))
          (if (local.get $first)
            (then
              (local.set $c00 (local.get $b0)) (local.set $c01 (local.get $b1))
              (local.set $c10 (local.get $b0)) (local.set $c11 (local.get $b1))
              (local.set $c20 (local.get $b0)) (local.set $c21 (local.get $b1))
              (local.set $c30 (local.get $b0)) (local.set $c31 (local.get $b1)))
            (else
              (local.set $p0 (local.get $cp))
              (local.set $c00 (v128.load offset=0 (local.get $p0))) (local.set $c01 (v128.load offset=16 (local.get $p0)))
              (local.set $p0 (i32.add (local.get $p0) (local.get $nb)))
              (local.set $c10 (v128.load offset=0 (local.get $p0))) (local.set $c11 (v128.load offset=16 (local.get $p0)))
              (local.set $p0 (i32.add (local.get $p0) (local.get $nb)))
              (local.set $c20 (v128.load offset=0 (local.get $p0))) (local.set $c21 (v128.load offset=16 (local.get $p0)))
              (local.set $p0 (i32.add (local.get $p0) (local.get $nb)))
              (local.set $c30 (v128.load offset=0 (local.get $p0))) (local.set $c31 (v128.load offset=16 (local.get $p0)))))
          ;; the micro-panel's kk·16 bytes, read in order (pa ends at the next one)
          (local.set $pb (local.get $pack))
          (local.set $pend (i32.add (local.get $pa) (i32.shl (local.get $kk) (i32.const 4))))
          (block $ldone (loop $lloop
            (br_if $ldone (i32.eq (local.get $pa) (local.get $pend)))
            (local.set $x0 (v128.load offset=0 (local.get $pb)))
            (local.set $x1 (v128.load offset=16 (local.get $pb)))
            (local.set $x2 (v128.load32_splat offset=0 (local.get $pa)))
            (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x2) (local.get $x0))))
            (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x2) (local.get $x1))))
            (local.set $x2 (v128.load32_splat offset=4 (local.get $pa)))
            (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $x2) (local.get $x0))))
            (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $x2) (local.get $x1))))
            (local.set $x2 (v128.load32_splat offset=8 (local.get $pa)))
            (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $x2) (local.get $x0))))
            (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $x2) (local.get $x1))))
            (local.set $x2 (v128.load32_splat offset=12 (local.get $pa)))
            (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $x2) (local.get $x0))))
            (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $x2) (local.get $x1))))
            (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
            (local.set $pb (i32.add (local.get $pb) (i32.const 32)))
            (br $lloop)))
          (v128.store offset=0 (local.get $cp) (local.get $c00)) (v128.store offset=16 (local.get $cp) (local.get $c01))
          (local.set $cp (i32.add (local.get $cp) (local.get $nb)))
          (v128.store offset=0 (local.get $cp) (local.get $c10)) (v128.store offset=16 (local.get $cp) (local.get $c11))
          (local.set $cp (i32.add (local.get $cp) (local.get $nb)))
          (v128.store offset=0 (local.get $cp) (local.get $c20)) (v128.store offset=16 (local.get $cp) (local.get $c21))
          (local.set $cp (i32.add (local.get $cp) (local.get $nb)))
          (v128.store offset=0 (local.get $cp) (local.get $c30)) (v128.store offset=16 (local.get $cp) (local.get $c31))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br $iloop)))
        ;; the last m mod 4 rows, one at a time over the same packed columns
        (block $rdone (loop $rloop
          (br_if $rdone (i32.ge_u (local.get $i) (local.get $m)))
          (local.set $cp (i32.add (local.get $c) (i32.add (i32.mul (local.get $i) (local.get $nb)) (i32.shl (local.get $j) (i32.const 2)))))
          (if (local.get $first)
            (then (local.set $c00 (local.get $b0)) (local.set $c01 (local.get $b1)))
            (else
              (local.set $c00 (v128.load offset=0 (local.get $cp)))
              (local.set $c01 (v128.load offset=16 (local.get $cp)))))
          (local.set $p0 (i32.add (local.get $ab) (i32.mul (local.get $i) (local.get $aRow))))
          (local.set $pb (local.get $pack))
          (local.set $l (local.get $kk))
          (block $ldone (loop $lloop
            (br_if $ldone (i32.eqz (local.get $l)))
            (local.set $x2 (v128.load32_splat (local.get $p0)))
            (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x2) (v128.load offset=0 (local.get $pb)))))
            (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x2) (v128.load offset=16 (local.get $pb)))))
            (local.set $p0 (i32.add (local.get $p0) (local.get $aCol)))
            (local.set $pb (i32.add (local.get $pb) (i32.const 32)))
            (local.set $l (i32.sub (local.get $l) (i32.const 1)))
            (br $lloop)))
          (v128.store offset=0 (local.get $cp) (local.get $c00)) (v128.store offset=16 (local.get $cp) (local.get $c01))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $rloop)))
        (local.set $j (i32.add (local.get $j) (i32.const 8)))
        (br $jloop)))
      ;; the last n mod 8 columns of every row, one value at a time
      (call $edgeColumns (local.get $ab) (local.get $bb) (local.get $c) (local.get $bias) (local.get $m) (local.get $n8) (local.get $n) (local.get $kk)
        (local.get $aRow) (local.get $aCol) (local.get $bRow) (local.get $bCol) (local.get $first) (local.get $nb))
      (local.set $l0 (i32.add (local.get $l0) (local.get $kk)))
      (br_if $kloop (i32.lt_u (local.get $l0) (local.get $k))))
  )

  ;; The same c = bias + op(a) · op(b) for a few rows of a (a decoding step), without packing: op(b)'s
  ;; columns must be adjacent (bCol = 4, a row-major weight). Same values as gemm, bit for bit,
  ;; relaxed build included. op(b) is read once, in order, `kc` rows at a time (4, or else 1), each
  ;; pass adding them into every row of c eight columns at a time (the partial sums wait in c, so
  ;; each value's terms are added in order); the last n mod 8 columns one value at a time. One row at a time is one stream through memory,
  ;; where a decoding step's weights come from (27 GB/s on the 2-core machine, where four rows at a
  ;; time read 18); four rows at a time move c a quarter as often, for rows too long for c to stay
  ;; in the fastest cache (a language model's head). pack is not used (gemm's arguments, so that
  ;; one call serves both).
  (func (export "gemv")
    (param $a i32) (param $b i32) (param $c i32) (param $bias i32) (param $m i32) (param $n i32) (param $k i32)
    (param $aRow i32) (param $aCol i32) (param $bRow i32) (param $bCol i32) (param $pack i32) (param $kc i32) (param $cRow i32)
    (local $n8 i32) (local $i i32) (local $j i32) (local $l i32) (local $pa i32) (local $cp i32)
    (local $pb i32) (local $p1 i32) (local $p2 i32) (local $p3 i32)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128) (local $c00 v128) (local $c01 v128)
    (local.set $n8 (i32.and (local.get $n) (i32.const -8)))
    ;; every row of c starts from the bias, or zeros
    (local.set $i (i32.const 0))
    (block $idone (loop $iloop
      (br_if $idone (i32.ge_u (local.get $i) (local.get $m)))
      (local.set $cp (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $cRow))))
      (local.set $j (i32.const 0))
      (block $jdone (loop $jloop
        (br_if $jdone (i32.ge_u (local.get $j) (local.get $n8)))
        (v128.store (i32.add (local.get $cp) (i32.shl (local.get $j) (i32.const 2)))
          (if (result v128) (local.get $bias)
            (then (v128.load (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2)))))
            (else (v128.const i64x2 0 0))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $jloop)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $iloop)))
    ;; then the terms in order: rows l … of op(b) into every row of c
    (local.set $l (i32.const 0))
    (block $ldone (loop $lloop
      (br_if $ldone (i32.ge_u (local.get $l) (local.get $k)))
      (if (i32.and (i32.eq (local.get $kc) (i32.const 4)) (i32.le_u (i32.add (local.get $l) (i32.const 4)) (local.get $k)))
        (then
          (local.set $i (i32.const 0))
          (block $idone (loop $iloop
            (br_if $idone (i32.ge_u (local.get $i) (local.get $m)))
            (local.set $pa (i32.add (local.get $a) (i32.add (i32.mul (local.get $i) (local.get $aRow)) (i32.mul (local.get $l) (local.get $aCol)))))
            (local.set $x0 (v128.load32_splat (i32.add (local.get $pa) (i32.mul (local.get $aCol) (i32.const 0)))))
            (local.set $x1 (v128.load32_splat (i32.add (local.get $pa) (i32.mul (local.get $aCol) (i32.const 1)))))
            (local.set $x2 (v128.load32_splat (i32.add (local.get $pa) (i32.mul (local.get $aCol) (i32.const 2)))))
            (local.set $x3 (v128.load32_splat (i32.add (local.get $pa) (i32.mul (local.get $aCol) (i32.const 3)))))
            (local.set $cp (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $cRow))))
            (local.set $pb (i32.add (local.get $b) (i32.mul (local.get $l) (local.get $bRow))))
            (local.set $p1 (i32.add (local.get $pb) (local.get $bRow)))
            (local.set $p2 (i32.add (local.get $p1) (local.get $bRow)))
            (local.set $p3 (i32.add (local.get $p2) (local.get $bRow)))
            (local.set $j (i32.const 0))
            (block $jdone (loop $jloop
              (br_if $jdone (i32.ge_u (local.get $j) (local.get $n8)))
                (local.set $c00 (v128.load offset=0 (local.get $cp)))
                (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x0) (v128.load offset=0 (local.get $pb)))))
                (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x1) (v128.load offset=0 (local.get $p1)))))
                (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x2) (v128.load offset=0 (local.get $p2)))))
                (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x3) (v128.load offset=0 (local.get $p3)))))
                (v128.store offset=0 (local.get $cp) (local.get $c00))
                (local.set $c01 (v128.load offset=16 (local.get $cp)))
                (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x0) (v128.load offset=16 (local.get $pb)))))
                (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x1) (v128.load offset=16 (local.get $p1)))))
                (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x2) (v128.load offset=16 (local.get $p2)))))
                (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x3) (v128.load offset=16 (local.get $p3)))))
                (v128.store offset=16 (local.get $cp) (local.get $c01))
                (local.set $cp (i32.add (local.get $cp) (i32.const 32)))
                (local.set $pb (i32.add (local.get $pb) (i32.const 32)))
                (local.set $p1 (i32.add (local.get $p1) (i32.const 32)))
                (local.set $p2 (i32.add (local.get $p2) (i32.const 32)))
                (local.set $p3 (i32.add (local.get $p3) (i32.const 32)))
                (local.set $j (i32.add (local.get $j) (i32.const 8)))
                (br $jloop)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $iloop)))
          (local.set $l (i32.add (local.get $l) (i32.const 4))))
        (else
          (local.set $i (i32.const 0))
          (block $idone (loop $iloop
            (br_if $idone (i32.ge_u (local.get $i) (local.get $m)))
            (local.set $pa (i32.add (local.get $a) (i32.add (i32.mul (local.get $i) (local.get $aRow)) (i32.mul (local.get $l) (local.get $aCol)))))
            (local.set $x0 (v128.load32_splat (i32.add (local.get $pa) (i32.mul (local.get $aCol) (i32.const 0)))))
            (local.set $cp (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $cRow))))
            (local.set $pb (i32.add (local.get $b) (i32.mul (local.get $l) (local.get $bRow))))
            (local.set $j (i32.const 0))
            (block $jdone (loop $jloop
              (br_if $jdone (i32.ge_u (local.get $j) (local.get $n8)))
                (local.set $c00 (v128.load offset=0 (local.get $cp)))
                (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x0) (v128.load offset=0 (local.get $pb)))))
                (v128.store offset=0 (local.get $cp) (local.get $c00))
                (local.set $c01 (v128.load offset=16 (local.get $cp)))
                (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x0) (v128.load offset=16 (local.get $pb)))))
                (v128.store offset=16 (local.get $cp) (local.get $c01))
                (local.set $cp (i32.add (local.get $cp) (i32.const 32)))
                (local.set $pb (i32.add (local.get $pb) (i32.const 32)))
                (local.set $j (i32.add (local.get $j) (i32.const 8)))
                (br $jloop)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $iloop)))
          (local.set $l (i32.add (local.get $l) (i32.const 1)))))
      (br $lloop)))
    ;; the last n mod 8 columns of every row, one value at a time (gemm's edge)
    (call $edgeColumns (local.get $a) (local.get $b) (local.get $c) (local.get $bias) (local.get $m) (local.get $n8) (local.get $n) (local.get $k)
      (local.get $aRow) (local.get $aCol) (local.get $bRow) (local.get $bCol) (i32.const 1) (local.get $cRow))
  )

  ;; pack[(i/4)·kk·16 bytes + l·16 + r·4] = a[(i + r)·aRow + l·aCol] for i < m4 (by four), r < 4,
  ;; l < kk: a's rows in micro-panels of four, each inner index's four values side by side. One
  ;; vector copy per inner index where the rows are adjacent (a transposed a).
  (func $pack4 (param $a i32) (param $pack i32) (param $m4 i32) (param $kk i32) (param $aRow i32) (param $aCol i32)
    (local $src i32) (local $l i32)
    (block $idone (loop $iloop
      (br_if $idone (i32.eqz (local.get $m4)))
      (local.set $src (local.get $a))
      (local.set $l (local.get $kk))
      (block $ldone (loop $lloop
        (br_if $ldone (i32.eqz (local.get $l)))
        (if (i32.eq (local.get $aRow) (i32.const 4))
          (then (v128.store (local.get $pack) (v128.load (local.get $src))))
          (else
            (f32.store offset=0 (local.get $pack) (f32.load (local.get $src)))
            (f32.store offset=4 (local.get $pack) (f32.load (i32.add (local.get $src) (local.get $aRow))))
            (f32.store offset=8 (local.get $pack) (f32.load (i32.add (local.get $src) (i32.shl (local.get $aRow) (i32.const 1)))))
            (f32.store offset=12 (local.get $pack) (f32.load (i32.add (local.get $src) (i32.mul (local.get $aRow) (i32.const 3)))))))
        (local.set $src (i32.add (local.get $src) (local.get $aCol)))
        (local.set $pack (i32.add (local.get $pack) (i32.const 16)))
        (local.set $l (i32.sub (local.get $l) (i32.const 1)))
        (br $lloop)))
      (local.set $a (i32.add (local.get $a) (i32.shl (local.get $aRow) (i32.const 2))))
      (local.set $m4 (i32.sub (local.get $m4) (i32.const 4)))
      (br $iloop)))
  )

  ;; pack[l·8 + t] = b[l·bRow + t·bCol] for l < kk, t < 8 (float32): eight columns of a block of
  ;; op(b), contiguous. Two vector copies per row where the columns are adjacent.
  (func $pack8 (param $b i32) (param $pack i32) (param $kk i32) (param $bRow i32) (param $bCol i32)
    (local $t i32) (local $src i32) (local $dst i32) (local $l i32)
    (if (i32.eq (local.get $bCol) (i32.const 4))
      (then
        (local.set $l (local.get $kk))
        (block $done (loop $next
          (br_if $done (i32.eqz (local.get $l)))
          (v128.store offset=0 (local.get $pack) (v128.load offset=0 (local.get $b)))
          (v128.store offset=16 (local.get $pack) (v128.load offset=16 (local.get $b)))
          (local.set $b (i32.add (local.get $b) (local.get $bRow)))
          (local.set $pack (i32.add (local.get $pack) (i32.const 32)))
          (local.set $l (i32.sub (local.get $l) (i32.const 1)))
          (br $next))))
      (else
        ;; column by column: each reads along its own run of memory
        (local.set $t (i32.const 0))
        (block $tdone (loop $tloop
          (br_if $tdone (i32.ge_u (local.get $t) (i32.const 8)))
          (local.set $src (i32.add (local.get $b) (i32.mul (local.get $t) (local.get $bCol))))
          (local.set $dst (i32.add (local.get $pack) (i32.shl (local.get $t) (i32.const 2))))
          (local.set $l (local.get $kk))
          (block $done (loop $next
            (br_if $done (i32.eqz (local.get $l)))
            (f32.store (local.get $dst) (f32.load (local.get $src)))
            (local.set $src (i32.add (local.get $src) (local.get $bRow)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
            (local.set $l (i32.sub (local.get $l) (i32.const 1)))
            (br $next)))
          (local.set $t (i32.add (local.get $t) (i32.const 1)))
          (br $tloop)))))
  )

  ;; c[i, j] for i < m, j0 <= j < n over one block of kk inner terms, one value at a time, in the
  ;; same order: starting from the bias (or 0) in the first block, from c's partial sum after.
  (func $edgeColumns
    (param $ab i32) (param $bb i32) (param $c i32) (param $bias i32) (param $m i32) (param $j0 i32) (param $n i32) (param $kk i32)
    (param $aRow i32) (param $aCol i32) (param $bRow i32) (param $bCol i32) (param $first i32) (param $cRow i32)
    (local $i i32) (local $j i32) (local $l i32) (local $pa i32) (local $pb i32) (local $cp i32) (local $s f32)
    (local.set $i (i32.const 0))
    (block $idone (loop $iloop
      (br_if $idone (i32.ge_u (local.get $i) (local.get $m)))
      (local.set $j (local.get $j0))
      (block $jdone (loop $jloop
        (br_if $jdone (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $cp (i32.add (local.get $c) (i32.add (i32.mul (local.get $i) (local.get $cRow)) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $s
          (if (result f32) (local.get $first)
            (then (if (result f32) (local.get $bias)
              (then (f32.load (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2)))))
              (else (f32.const 0))))
            (else (f32.load (local.get $cp)))))
        (local.set $pa (i32.add (local.get $ab) (i32.mul (local.get $i) (local.get $aRow))))
        (local.set $pb (i32.add (local.get $bb) (i32.mul (local.get $j) (local.get $bCol))))
        (local.set $l (local.get $kk))
        (block $ldone (loop $lloop
          (br_if $ldone (i32.eqz (local.get $l)))
          (local.set $s (f32.add (local.get $s) (f32.mul (f32.load (local.get $pa)) (f32.load (local.get $pb)))))
          (local.set $pa (i32.add (local.get $pa) (local.get $aCol)))
          (local.set $pb (i32.add (local.get $pb) (local.get $bRow)))
          (local.set $l (i32.sub (local.get $l) (i32.const 1)))
          (br $lloop)))
        (f32.store (local.get $cp) (local.get $s))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $jloop)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $iloop)))
  )
)
