;; Mandelbrot renderer: a flux useful-work job ("rendering"), integer arithmetic only.
;;
;; Input:  width, height, iterations as u32 little-endian (12 bytes).
;; Output: a binary PPM image, "P6\n<width> <height>\n255\n" then RGB rows from the top.
;;
;; Fixed point: 40.24 in i64 (1.0 = 2^24). Pixel (x, y) samples
;;   c = (-2.5 + x*s, (y - height/2)*s),  s = floor(3.5 * 2^24 / width),
;; so the picture spans -2.5..1.0 horizontally, centred vertically. Each step computes
;;   zr2 = zr*zr >> 24, zi2 = zi*zi >> 24; stop if zr2 + zi2 > 4;
;;   zi = (zr*zi >> 23) + ci; zr = zr2 - zi2 + cr
;; (arithmetic shifts). With |z| <= 2 before a step, every product stays below 2^54.
;; Colour: black if the point never escaped, else with t = 255*i/iterations, u = 255 - t:
;;   r = 9*u*t^3 / 255^3, g = 15*u^2*t^2 / 255^3, b = 17*u^3*t / (2*255^3).
;;
;; Memory: bytes 0..12 the input, 16..64 the header, 64.. one row of pixels.
(module
  (import "flux" "read_input" (func $read_input (param i32 i32 i32) (result i32)))
  (import "flux" "write_output" (func $write_output (param i32 i32)))
  (memory (export "memory") 1)

  ;; Writes `v` in decimal at `p`; returns the address after the last digit.
  (func $put_u32 (param $p i32) (param $v i32) (result i32)
    (local $d i32)
    (local.set $d (i32.const 1))
    (block $done
      (loop $up
        (br_if $done (i32.lt_u (i32.div_u (local.get $v) (local.get $d)) (i32.const 10)))
        (local.set $d (i32.mul (local.get $d) (i32.const 10)))
        (br $up)))
    (loop $digit
      (i32.store8 (local.get $p)
        (i32.add (i32.const 48)
          (i32.rem_u (i32.div_u (local.get $v) (local.get $d)) (i32.const 10))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (local.set $d (i32.div_u (local.get $d) (i32.const 10)))
      (br_if $digit (local.get $d)))
    (local.get $p))

  ;; Writes the header at 16 and outputs it.
  (func $header (param $w i32) (param $h i32)
    (local $p i32)
    (i32.store8 (i32.const 16) (i32.const 80))   ;; 'P'
    (i32.store8 (i32.const 17) (i32.const 54))   ;; '6'
    (i32.store8 (i32.const 18) (i32.const 10))   ;; '\n'
    (local.set $p (call $put_u32 (i32.const 19) (local.get $w)))
    (i32.store8 (local.get $p) (i32.const 32))   ;; ' '
    (local.set $p (call $put_u32 (i32.add (local.get $p) (i32.const 1)) (local.get $h)))
    ;; "\n255\n"
    (i32.store8 (local.get $p) (i32.const 10))
    (i32.store8 offset=1 (local.get $p) (i32.const 50))
    (i32.store8 offset=2 (local.get $p) (i32.const 53))
    (i32.store8 offset=3 (local.get $p) (i32.const 53))
    (i32.store8 offset=4 (local.get $p) (i32.const 10))
    (call $write_output (i32.const 16) (i32.sub (i32.add (local.get $p) (i32.const 5)) (i32.const 16))))

  ;; Iterations before c = (cr, ci) escapes, at most `max`.
  (func $escape (param $cr i64) (param $ci i64) (param $max i32) (result i32)
    (local $zr i64) (local $zi i64) (local $zr2 i64) (local $zi2 i64) (local $i i32)
    (block $out
      (loop $step
        (br_if $out (i32.ge_u (local.get $i) (local.get $max)))
        (local.set $zr2 (i64.shr_s (i64.mul (local.get $zr) (local.get $zr)) (i64.const 24)))
        (local.set $zi2 (i64.shr_s (i64.mul (local.get $zi) (local.get $zi)) (i64.const 24)))
        (br_if $out (i64.gt_s (i64.add (local.get $zr2) (local.get $zi2)) (i64.const 67108864)))
        (local.set $zi
          (i64.add (i64.shr_s (i64.mul (local.get $zr) (local.get $zi)) (i64.const 23))
                   (local.get $ci)))
        (local.set $zr (i64.add (i64.sub (local.get $zr2) (local.get $zi2)) (local.get $cr)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $step)))
    (local.get $i))

  ;; Stores the colour of escape count `i` (of `max`) at `p`.
  (func $colour (param $p i32) (param $i i32) (param $max i32)
    (local $t i64) (local $u i64)
    (if (i32.eq (local.get $i) (local.get $max))
      (then
        (i32.store8 (local.get $p) (i32.const 0))
        (i32.store8 offset=1 (local.get $p) (i32.const 0))
        (i32.store8 offset=2 (local.get $p) (i32.const 0))
        (return)))
    (local.set $t
      (i64.div_u (i64.mul (i64.extend_i32_u (local.get $i)) (i64.const 255))
                 (i64.extend_i32_u (local.get $max))))
    (local.set $u (i64.sub (i64.const 255) (local.get $t)))
    (i64.store8 (local.get $p)
      (i64.div_u
        (i64.mul (i64.mul (i64.const 9) (local.get $u))
                 (i64.mul (local.get $t) (i64.mul (local.get $t) (local.get $t))))
        (i64.const 16581375)))
    (i64.store8 offset=1 (local.get $p)
      (i64.div_u
        (i64.mul (i64.mul (i64.const 15) (i64.mul (local.get $u) (local.get $u)))
                 (i64.mul (local.get $t) (local.get $t)))
        (i64.const 16581375)))
    (i64.store8 offset=2 (local.get $p)
      (i64.div_u
        (i64.mul (i64.mul (i64.const 17) (i64.mul (local.get $u) (i64.mul (local.get $u) (local.get $u))))
                 (local.get $t))
        (i64.const 33162750))))

  (func (export "run")
    (local $w i32) (local $h i32) (local $max i32) (local $x i32) (local $y i32)
    (local $step i64) (local $ci i64)
    (if (i32.ne (call $read_input (i32.const 0) (i32.const 0) (i32.const 12)) (i32.const 12))
      (then unreachable))
    (local.set $w (i32.load (i32.const 0)))
    (local.set $h (i32.load (i32.const 4)))
    (local.set $max (i32.load (i32.const 8)))
    (if (i32.or
          (i32.or (i32.eqz (local.get $w)) (i32.gt_u (local.get $w) (i32.const 4096)))
          (i32.or
            (i32.or (i32.eqz (local.get $h)) (i32.gt_u (local.get $h) (i32.const 4096)))
            (i32.or (i32.eqz (local.get $max)) (i32.gt_u (local.get $max) (i32.const 65536)))))
      (then unreachable))
    (call $header (local.get $w) (local.get $h))
    ;; s = 3.5 * 2^24 / width
    (local.set $step (i64.div_u (i64.const 58720256) (i64.extend_i32_u (local.get $w))))
    (loop $rows
      (local.set $ci
        (i64.mul
          (i64.sub (i64.extend_i32_u (local.get $y))
                   (i64.extend_i32_u (i32.shr_u (local.get $h) (i32.const 1))))
          (local.get $step)))
      (local.set $x (i32.const 0))
      (loop $cols
        (call $colour
          (i32.add (i32.const 64) (i32.mul (local.get $x) (i32.const 3)))
          (call $escape
            (i64.add (i64.const -41943040)
                     (i64.mul (i64.extend_i32_u (local.get $x)) (local.get $step)))
            (local.get $ci)
            (local.get $max))
          (local.get $max))
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        (br_if $cols (i32.lt_u (local.get $x) (local.get $w))))
      (call $write_output (i32.const 64) (i32.mul (local.get $w) (i32.const 3)))
      (local.set $y (i32.add (local.get $y) (i32.const 1)))
      (br_if $rows (i32.lt_u (local.get $y) (local.get $h)))))
)
