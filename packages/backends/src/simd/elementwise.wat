;; tfkit's WebAssembly SIMD kernels built on a four-lane float32 exp, over tfjs-backend-wasm's heap
;; like kernels.wat's: the GELU (exact and tanh forms) and its gradient (TfkitGelu, TfkitGeluGrad,
;; TfkitDense's activation), and the softmax cross-entropy's passes over the logits
;; (TfkitSoftmaxCrossEntropy and its gradient), and dropout's mask (TfkitDropoutMask). Compiled
;; by scripts/build-simd.mjs into elementwise-wasm.ts.
(module
  (import "env" "memory" (memory 1))

  ;; exp of four float32 lanes (Cephes' expf: x = n·ln 2 + r, |r| ≤ ln 2 / 2, a degree-7 polynomial
  ;; in r, times 2^n built in the exponent bits); about 1 ulp. Below −87.3365 (where 2^n would leave
  ;; the normal range) the result is 0; x is assumed ≤ 88.7 (the softmax kernels pass x − max ≤ 0).
  (func $exp4 (param $x v128) (result v128)
    (local $fx v128) (local $r v128) (local $y v128) (local $small v128)
    (local.set $small (f32x4.lt (local.get $x) (v128.const f32x4 -87.33654 -87.33654 -87.33654 -87.33654)))
    (local.set $x (f32x4.max (local.get $x) (v128.const f32x4 -87.33654 -87.33654 -87.33654 -87.33654)))
    (local.set $fx (f32x4.nearest (f32x4.mul (local.get $x) (v128.const f32x4 1.44269504 1.44269504 1.44269504 1.44269504))))
    (local.set $r (f32x4.sub (local.get $x) (f32x4.mul (local.get $fx) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))))
    (local.set $r (f32x4.sub (local.get $r) (f32x4.mul (local.get $fx) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
    (local.set $y (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $r)) (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $r)) (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $r)) (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $r)) (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $r)) (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
    (local.set $y (f32x4.add (f32x4.add (f32x4.mul (local.get $y) (f32x4.mul (local.get $r) (local.get $r))) (local.get $r))
      (v128.const f32x4 1 1 1 1)))
    ;; · 2^n: n + 127 in the exponent field
    (local.set $y (f32x4.mul (local.get $y)
      (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $fx)) (v128.const i32x4 127 127 127 127)) (i32.const 23))))
    (v128.andnot (local.get $y) (local.get $small))
  )

  ;; For each of `rows` rows of `classes` float32 at x: maxOut[row] = the row's largest value
  ;; (float32), sumOut[row] = Σ exp(x − max) over the row (float64; each exp in float32 by $exp4).
  (func (export "softmaxStats") (param $x i32) (param $rows i32) (param $classes i32) (param $maxOut i32) (param $sumOut i32)
    (local $row i32) (local $p i32) (local $end i32) (local $end4 i32) (local $m v128) (local $mx f32) (local $e v128)
    (local $acc v128) (local $s f64)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $row) (local.get $rows)))
      (local.set $end (i32.add (local.get $x) (i32.shl (local.get $classes) (i32.const 2))))
      (local.set $end4 (i32.add (local.get $x) (i32.shl (i32.and (local.get $classes) (i32.const -4)) (i32.const 2))))
      ;; the maximum (NaN if any value is NaN, as the composite's Max): two independent running
      ;; maxima, eight values a step, then four
      (local.set $m (v128.const f32x4 -inf -inf -inf -inf))
      (local.set $e (local.get $m))
      (local.set $p (local.get $x))
      (block $mdone (loop $mloop
        (br_if $mdone (i32.ge_u (i32.add (local.get $p) (i32.const 16)) (local.get $end4)))
        (local.set $m (f32x4.max (local.get $m) (v128.load offset=0 (local.get $p))))
        (local.set $e (f32x4.max (local.get $e) (v128.load offset=16 (local.get $p))))
        (local.set $p (i32.add (local.get $p) (i32.const 32)))
        (br $mloop)))
      (if (i32.lt_u (local.get $p) (local.get $end4)) (then
        (local.set $m (f32x4.max (local.get $m) (v128.load (local.get $p))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))))
      (local.set $m (f32x4.max (local.get $m) (local.get $e)))
      (local.set $mx (f32.max (f32.max (f32x4.extract_lane 0 (local.get $m)) (f32x4.extract_lane 1 (local.get $m)))
                              (f32.max (f32x4.extract_lane 2 (local.get $m)) (f32x4.extract_lane 3 (local.get $m)))))
      (block $tdone (loop $tloop
        (br_if $tdone (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $mx (f32.max (local.get $mx) (f32.load (local.get $p))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $tloop)))
      (f32.store (i32.add (local.get $maxOut) (i32.shl (local.get $row) (i32.const 2))) (local.get $mx))
      ;; Σ exp(x − max), two float64 lanes
      (local.set $m (f32x4.splat (local.get $mx)))
      (local.set $acc (v128.const i64x2 0 0))
      (local.set $p (local.get $x))
      (block $sdone (loop $sloop
        (br_if $sdone (i32.ge_u (local.get $p) (local.get $end4)))
        (local.set $e (call $exp4 (f32x4.sub (v128.load (local.get $p)) (local.get $m))))
        (local.set $acc (f64x2.add (local.get $acc) (f64x2.add (f64x2.promote_low_f32x4 (local.get $e))
          (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $e) (local.get $e))))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $sloop)))
      (local.set $s (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc))))
      (block $udone (loop $uloop
        (br_if $udone (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $s (f64.add (local.get $s) (f64.promote_f32 (f32x4.extract_lane 0
          (call $exp4 (f32x4.sub (v128.load32_splat (local.get $p)) (local.get $m)))))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $uloop)))
      (f64.store (i32.add (local.get $sumOut) (i32.shl (local.get $row) (i32.const 3))) (local.get $s))
      (local.set $x (local.get $end))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br $next)))
  )

  ;; out[row, j] = exp(x[row, j] − lse[row]) · scale[row] (float32, exp by $exp4) for `rows` rows
  ;; of `classes`: the softmax cross-entropy's gradient before the label's −scale.
  (func (export "softmaxScaled") (param $x i32) (param $lse i32) (param $scale i32) (param $out i32) (param $rows i32) (param $classes i32)
    (local $row i32) (local $p i32) (local $q i32) (local $end i32) (local $end4 i32) (local $l v128) (local $s v128)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $row) (local.get $rows)))
      (local.set $end (i32.add (local.get $x) (i32.shl (local.get $classes) (i32.const 2))))
      (local.set $end4 (i32.add (local.get $x) (i32.shl (i32.and (local.get $classes) (i32.const -4)) (i32.const 2))))
      (local.set $l (v128.load32_splat (i32.add (local.get $lse) (i32.shl (local.get $row) (i32.const 2)))))
      (local.set $s (v128.load32_splat (i32.add (local.get $scale) (i32.shl (local.get $row) (i32.const 2)))))
      (local.set $p (local.get $x))
      (local.set $q (local.get $out))
      (block $vdone (loop $vloop
        (br_if $vdone (i32.ge_u (local.get $p) (local.get $end4)))
        (v128.store (local.get $q) (f32x4.mul (call $exp4 (f32x4.sub (v128.load (local.get $p)) (local.get $l))) (local.get $s)))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (local.set $q (i32.add (local.get $q) (i32.const 16)))
        (br $vloop)))
      (block $tdone (loop $tloop
        (br_if $tdone (i32.ge_u (local.get $p) (local.get $end)))
        (f32.store (local.get $q) (f32x4.extract_lane 0
          (f32x4.mul (call $exp4 (f32x4.sub (v128.load32_splat (local.get $p)) (local.get $l))) (local.get $s))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (local.set $q (i32.add (local.get $q) (i32.const 4)))
        (br $tloop)))
      (local.set $x (local.get $end))
      (local.set $out (i32.add (local.get $out) (i32.shl (local.get $classes) (i32.const 2))))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br $next)))
  )

  ;; For four lanes of x, GELU and its derivative's factor, as `$mode` asks: 0 the exact form
  ;; ½x(1 + erf(x/√2)) with tfjs's erf (Abramowitz & Stegun 7.1.26 over $exp4), 1 the tanh form
  ;; ½x(1 + tanh(u)), u = x·(c + c·k·x²), c = √(2/π), k = 0.044715; 2 and 3 the derivatives of
  ;; those (Φ(x) + x·φ(x); ½(1 + t) + ½x(1 − t²)(c + 3ck·x²)). The tanh form goes through
  ;; e = exp(−2|u|): ½(1 + t) = (u ≥ 0 ? 1 : e)/(1 + e) and 1 − t² = 4e/(1 + e)², which keep
  ;; their relative precision where t → ±1 (1 − t² from a rounded t would not).
  (func $gelu4 (param $x v128) (param $mode i32) (result v128)
    (local $a v128) (local $t v128) (local $e v128) (local $erf v128) (local $x2 v128) (local $r v128)
    (if (i32.and (local.get $mode) (i32.const 1))
      (then
        (local.set $x2 (f32x4.mul (local.get $x) (local.get $x)))
        ;; e = exp(−2|u|), r = 1/(1 + e), t = ½(1 + tanh u)
        (local.set $e (call $exp4 (f32x4.mul (f32x4.abs (f32x4.mul (local.get $x) (f32x4.add (f32x4.mul (local.get $x2)
          (v128.const f32x4 0.0356774081 0.0356774081 0.0356774081 0.0356774081))
          (v128.const f32x4 0.7978845608 0.7978845608 0.7978845608 0.7978845608))))
          (v128.const f32x4 -2 -2 -2 -2))))
        (local.set $r (f32x4.div (v128.const f32x4 1 1 1 1) (f32x4.add (local.get $e) (v128.const f32x4 1 1 1 1))))
        (local.set $t (f32x4.mul (local.get $r) (v128.bitselect (local.get $e) (v128.const f32x4 1 1 1 1)
          (f32x4.lt (local.get $x) (v128.const f32x4 0 0 0 0)))))
        (if (i32.lt_u (local.get $mode) (i32.const 2))
          (then (return (f32x4.mul (local.get $x) (local.get $t)))))
        ;; ½(1 + t) + x·2e/(1 + e)²·(c + 3ck·x²)
        (return (f32x4.add (local.get $t) (f32x4.mul (f32x4.mul (local.get $x) (f32x4.mul (f32x4.mul (local.get $e) (v128.const f32x4 2 2 2 2))
            (f32x4.mul (local.get $r) (local.get $r))))
          (f32x4.add (f32x4.mul (local.get $x2) (v128.const f32x4 0.1070322243 0.1070322243 0.1070322243 0.1070322243))
            (v128.const f32x4 0.7978845608 0.7978845608 0.7978845608 0.7978845608)))))))
    ;; a = |x|/√2; t = 1/(1 + p·a); erf(|x|/√2) = 1 − t·poly(t)·exp(−a²), the sign of x
    (local.set $a (f32x4.abs (f32x4.mul (local.get $x) (v128.const f32x4 0.70710678 0.70710678 0.70710678 0.70710678))))
    (local.set $t (f32x4.div (v128.const f32x4 1 1 1 1)
      (f32x4.add (f32x4.mul (local.get $a) (v128.const f32x4 0.3275911 0.3275911 0.3275911 0.3275911)) (v128.const f32x4 1 1 1 1))))
    (local.set $e (call $exp4 (f32x4.neg (f32x4.mul (local.get $a) (local.get $a)))))
    (local.set $erf (f32x4.add (f32x4.mul (local.get $t) (v128.const f32x4 1.061405429 1.061405429 1.061405429 1.061405429))
      (v128.const f32x4 -1.453152027 -1.453152027 -1.453152027 -1.453152027)))
    (local.set $erf (f32x4.add (f32x4.mul (local.get $erf) (local.get $t)) (v128.const f32x4 1.421413741 1.421413741 1.421413741 1.421413741)))
    (local.set $erf (f32x4.add (f32x4.mul (local.get $erf) (local.get $t)) (v128.const f32x4 -0.284496736 -0.284496736 -0.284496736 -0.284496736)))
    (local.set $erf (f32x4.add (f32x4.mul (local.get $erf) (local.get $t)) (v128.const f32x4 0.254829592 0.254829592 0.254829592 0.254829592)))
    (local.set $erf (f32x4.sub (v128.const f32x4 1 1 1 1) (f32x4.mul (f32x4.mul (local.get $erf) (local.get $t)) (local.get $e))))
    ;; the sign of x on erf
    (local.set $erf (v128.or (local.get $erf) (v128.and (local.get $x) (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))))
    ;; Φ(x) = ½(1 + erf)
    (local.set $erf (f32x4.mul (f32x4.add (local.get $erf) (v128.const f32x4 1 1 1 1)) (v128.const f32x4 0.5 0.5 0.5 0.5)))
    (if (result v128) (i32.eqz (local.get $mode))
      (then (f32x4.mul (local.get $x) (local.get $erf)))
      ;; Φ(x) + x·φ(x), φ(x) = exp(−x²/2)/√(2π) = e/√(2π)
      (else (f32x4.add (local.get $erf) (f32x4.mul (local.get $x)
        (f32x4.mul (local.get $e) (v128.const f32x4 0.3989422804 0.3989422804 0.3989422804 0.3989422804))))))
  )

  ;; out[i] = GELU(x[i]) for i < n (`$mode` as $gelu4: 0 exact, 1 tanh); with $mode 2 or 3,
  ;; out[i] = dy[i]·GELU′(x[i]) (dy: n float32; ignored otherwise). out may be x or dy.
  (func (export "gelu") (param $x i32) (param $dy i32) (param $out i32) (param $n i32) (param $mode i32)
    (local $i i32) (local $n4 i32) (local $y v128)
    (local.set $n4 (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $n (i32.shl (local.get $n) (i32.const 2)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n4)))
      (local.set $y (call $gelu4 (v128.load (i32.add (local.get $x) (local.get $i))) (local.get $mode)))
      (if (i32.ge_u (local.get $mode) (i32.const 2))
        (then (local.set $y (f32x4.mul (local.get $y) (v128.load (i32.add (local.get $dy) (local.get $i)))))))
      (v128.store (i32.add (local.get $out) (local.get $i)) (local.get $y))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $next)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $y (call $gelu4 (v128.load32_splat (i32.add (local.get $x) (local.get $i))) (local.get $mode)))
      (if (i32.ge_u (local.get $mode) (i32.const 2))
        (then (local.set $y (f32x4.mul (local.get $y) (v128.load32_splat (i32.add (local.get $dy) (local.get $i)))))))
      (f32.store (i32.add (local.get $out) (local.get $i)) (f32x4.extract_lane 0 (local.get $y)))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $next)))
  )

  ;; Dropout's mask (TfkitDropoutMask): for i < n, out[i] = $scale where the i-th draw of Alea
  ;; (seedrandom 3's generator, as tfjs's randomUniform draws it), rounded to float32, is at least
  ;; $threshold, else +0. The state is passed as integers, each s = S·2^-32, and the carry c: Alea's
  ;; step t = 2091639·s0 + c·2^-32, c = floor(t), s2 = t − c is exact in float64, and here it is the same
  ;; step in 64-bit integers, X = 2091639·S0 + c, c = X >> 32, S2 = X mod 2^32 — the same draws.
  (func (export "dropoutMask") (param $out i32) (param $n i32) (param $s0 i32) (param $s1 i32) (param $s2 i32) (param $c i32)
    (param $threshold f32) (param $scale f32)
    (local $end i32) (local $x i64) (local $a i64) (local $b i64) (local $d i64) (local $carry i64)
    (local.set $a (i64.extend_i32_u (local.get $s0)))
    (local.set $b (i64.extend_i32_u (local.get $s1)))
    (local.set $d (i64.extend_i32_u (local.get $s2)))
    (local.set $carry (i64.extend_i32_u (local.get $c)))
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
      (local.set $x (i64.add (i64.mul (local.get $a) (i64.const 2091639)) (local.get $carry)))
      (local.set $a (local.get $b))
      (local.set $b (local.get $d))
      (local.set $carry (i64.shr_u (local.get $x) (i64.const 32)))
      (local.set $d (i64.and (local.get $x) (i64.const 0xffffffff)))
      ;; The draw S2·2^-32 rounded to float32: S2 rounded, then scaled by a power of two (exact).
      (f32.store (local.get $out)
        (select (local.get $scale) (f32.const 0)
          (f32.ge (f32.mul (f32.convert_i64_u (local.get $d)) (f32.const 0x1p-32)) (local.get $threshold))))
      (local.set $out (i32.add (local.get $out) (i32.const 4)))
      (br $next)))
  )
)
