;; Integer neural-network inference: a flux useful-work job ("AI"), no floating point.
;;
;; Input:  a batch of vectors of 64 int8 features (the input length must be a multiple of 64,
;;         else the job traps).
;; Output: per vector, the 10 logits (i32 little-endian) then the class (1 byte): 41 bytes.
;;
;; Network (int8 weights, i32 accumulators):
;;   hidden[j] = min(max(b1[j] + sum_i W1[j][i] * x[i], 0) >> 7, 127)   for j in 0..64
;;   logit[k]  = b2[k] + sum_j W2[k][j] * hidden[j]                      for k in 0..10
;;   class     = the first k with the largest logit
;; No sum can overflow: |W1 x| <= 64*128*128, |W2 h| <= 64*128*127, biases < 2048.
;; The weights (data segment below) are a fixed xorshift32 stream: see
;; flux_nodes::work::jobs::nn_weights.
;;
;; Memory: 0..5032 the weights, 8192..8256 the vector, 8448..8704 the hidden layer (i32),
;; 8960..9001 the output record.
(module
  (import "flux" "input_len" (func $input_len (result i32)))
  (import "flux" "read_input" (func $read_input (param i32 i32 i32) (result i32)))
  (import "flux" "write_output" (func $write_output (param i32 i32)))
  (memory (export "memory") 1)

  ;; hidden = requantised ReLU(W1 x + b1)
  (func $layer1
    (local $j i32) (local $i i32) (local $acc i32) (local $row i32)
    (loop $units
      (local.set $acc (i32.load offset=4736 (i32.shl (local.get $j) (i32.const 2))))
      (local.set $row (i32.shl (local.get $j) (i32.const 6)))
      (local.set $i (i32.const 0))
      (loop $inputs
        (local.set $acc
          (i32.add (local.get $acc)
            (i32.mul (i32.load8_s (i32.add (local.get $row) (local.get $i)))
                     (i32.load8_s offset=8192 (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $inputs (i32.lt_u (local.get $i) (i32.const 64))))
      (if (i32.lt_s (local.get $acc) (i32.const 0)) (then (local.set $acc (i32.const 0))))
      (local.set $acc (i32.shr_s (local.get $acc) (i32.const 7)))
      (if (i32.gt_s (local.get $acc) (i32.const 127)) (then (local.set $acc (i32.const 127))))
      (i32.store offset=8448 (i32.shl (local.get $j) (i32.const 2)) (local.get $acc))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br_if $units (i32.lt_u (local.get $j) (i32.const 64)))))

  ;; logits = W2 hidden + b2, class = argmax; written at 8960.
  (func $layer2
    (local $k i32) (local $j i32) (local $acc i32) (local $row i32)
    (local $best i32) (local $best_acc i32)
    (loop $classes
      (local.set $acc (i32.load offset=4992 (i32.shl (local.get $k) (i32.const 2))))
      (local.set $row (i32.add (i32.const 4096) (i32.shl (local.get $k) (i32.const 6))))
      (local.set $j (i32.const 0))
      (loop $hidden
        (local.set $acc
          (i32.add (local.get $acc)
            (i32.mul (i32.load8_s (i32.add (local.get $row) (local.get $j)))
                     (i32.load offset=8448 (i32.shl (local.get $j) (i32.const 2))))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $hidden (i32.lt_u (local.get $j) (i32.const 64))))
      (i32.store offset=8960 (i32.shl (local.get $k) (i32.const 2)) (local.get $acc))
      (if (i32.or (i32.eqz (local.get $k)) (i32.gt_s (local.get $acc) (local.get $best_acc)))
        (then
          (local.set $best (local.get $k))
          (local.set $best_acc (local.get $acc))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $classes (i32.lt_u (local.get $k) (i32.const 10))))
    (i32.store8 (i32.const 9000) (local.get $best)))

  (func (export "run")
    (local $n i32) (local $off i32)
    (local.set $n (call $input_len))
    (if (i32.and (local.get $n) (i32.const 63)) (then unreachable))
    (block $done
      (loop $vectors
        (br_if $done (i32.ge_u (local.get $off) (local.get $n)))
        (drop (call $read_input (i32.const 8192) (local.get $off) (i32.const 64)))
        (call $layer1)
        (call $layer2)
        (call $write_output (i32.const 8960) (i32.const 41))
        (local.set $off (i32.add (local.get $off) (i32.const 64)))
        (br $vectors))))

  (data (i32.const 0)
    ;; W1: 64x64 i8, row j = hidden unit j (offset 0)
    "\e1\8b\64\00\f2\fe\8a\12\96\46\13\9d\8e\9e\26\e7\ee\4a\12\a9\fc\3c\88\78\8d\63\06\ea\00\59\57\16"
    "\dd\70\52\2d\e6\08\59\d4\dc\a4\48\8b\f9\eb\3f\6c\a5\37\96\57\21\f7\1f\ef\52\c1\44\74\b3\08\48\64"
    "\53\2d\e6\a5\10\ed\56\62\6e\20\ca\dc\f2\d0\13\a4\c4\43\a2\49\b9\ce\0f\a5\17\68\b5\f2\4e\47\d0\f1"
    "\4d\76\47\5c\fa\b2\ea\c1\b2\0a\e2\9e\84\77\d7\30\a7\56\43\8f\71\3b\fd\b7\1f\f5\96\25\a6\be\15\1d"
    "\9a\b9\15\d8\38\33\fa\28\27\6f\15\50\da\b8\fa\69\d8\cc\5b\8e\3d\64\68\8d\29\2f\3d\f7\fa\ca\cf\b7"
    "\dc\d1\44\6f\c7\f4\51\72\21\cc\fa\27\90\62\eb\c0\2e\5e\f7\ff\db\c0\54\9e\f7\4b\9d\20\ae\ef\30\48"
    "\27\f0\1c\bc\e1\f7\85\05\e9\5e\8e\6a\5a\f4\d0\be\0f\01\dd\89\c9\34\f2\2d\a3\69\1b\2e\35\5b\9e\e1"
    "\3a\91\3a\e5\ee\03\4e\f2\d5\76\fd\fb\09\7a\cf\76\48\90\4f\fa\4a\6d\9c\ad\13\2f\56\58\11\2c\ea\a5"
    "\b9\ae\20\40\bc\dc\89\12\a7\28\59\93\51\2d\c7\05\1a\fe\a8\16\98\6e\1f\79\52\6e\0d\9f\2c\a9\67\f6"
    "\6c\ad\76\ad\42\51\fc\d6\81\de\e2\ee\fc\b1\4f\af\9f\24\30\37\c3\ee\53\be\2d\b7\d0\7e\ed\81\ad\a7"
    "\a0\d0\55\76\8f\a3\08\9c\72\bd\c8\a8\77\69\aa\9c\ae\4a\dd\22\49\57\06\ec\07\7f\49\d2\c0\2f\27\e7"
    "\88\51\bd\d8\14\11\f2\29\73\44\c1\3a\50\fb\bb\6c\26\12\d7\dc\b7\43\c1\34\be\94\68\48\8f\5b\e2\4d"
    "\04\cd\1d\b6\b9\4c\04\f3\4f\63\22\1c\d9\5a\c3\f3\4f\5d\5c\5a\b8\1f\17\e8\b8\06\59\81\98\52\cc\7b"
    "\af\16\5e\ed\99\69\07\10\3a\42\75\74\1e\5e\28\59\bc\7c\d6\51\06\3c\6d\1c\76\60\26\b4\41\b5\1b\1f"
    "\5a\46\ca\26\6e\23\e2\66\19\da\ca\e2\cb\45\29\23\52\40\e7\2c\1d\56\f3\12\d3\45\ff\5a\dd\a7\67\8d"
    "\a8\e8\a5\e9\0b\51\60\3a\0b\67\e8\3d\d2\12\dd\61\f0\fe\c7\f2\6e\57\7a\47\74\94\93\ba\5c\b4\cc\4d"
    "\e1\dd\6b\15\4e\63\64\60\40\ff\d9\22\62\aa\13\36\11\b1\09\e5\ef\18\62\33\ad\b2\17\f3\80\09\50\74"
    "\f5\3a\ea\3b\87\01\0f\da\6c\63\6c\81\75\5f\2c\43\88\4c\f0\38\fb\b1\28\56\b6\71\12\8c\72\92\68\9d"
    "\38\ed\cf\13\74\c4\7c\bf\7d\26\82\78\18\5e\f5\c3\a5\bd\7f\17\fb\28\69\fd\6a\a8\6a\64\f3\cc\56\04"
    "\52\64\82\c2\be\99\45\3a\38\6a\fb\c3\e9\51\be\d3\35\5e\dd\ca\a9\b0\e9\3c\cd\12\be\cf\87\ba\c5\9f"
    "\40\a4\14\c3\b9\33\f4\2e\53\1c\73\bf\f1\90\ba\5b\6d\aa\a8\ec\dc\26\d6\73\c7\f3\4d\50\da\4d\eb\8a"
    "\5d\a7\8c\b4\a9\da\fe\d0\9f\3a\60\dc\b4\37\ca\77\c5\f6\2c\2c\b5\6b\3c\ea\a0\4f\e3\ff\89\cd\55\b4"
    "\0c\47\d8\48\ac\8f\fa\0f\62\26\3c\9a\88\23\be\53\a3\0e\a6\c1\35\a8\cf\34\6c\fd\3f\eb\1b\8b\c4\3b"
    "\c9\b1\2a\44\16\0a\cd\b6\90\0b\4b\c5\5e\70\02\d8\ad\48\7a\4b\05\7e\50\fa\c9\68\18\55\fa\dc\46\02"
    "\d7\23\00\3b\69\90\26\53\73\b7\3b\4d\7b\74\16\53\30\9b\a5\05\db\b5\b0\8e\17\25\37\e9\86\bc\2b\53"
    "\56\56\c0\8e\3f\2e\02\78\01\17\97\0b\71\16\64\17\d4\7a\be\5a\5c\3d\86\b3\fc\50\e6\c0\3f\29\56\18"
    "\cf\79\6a\84\fe\38\3c\b4\4a\97\2d\0c\05\a7\dd\0f\1d\ec\fe\22\10\a9\2f\a8\4f\82\0c\90\c8\45\9c\2d"
    "\3f\b8\c1\75\4b\9d\76\11\6f\0c\73\7d\bd\05\f6\48\db\4e\62\cf\74\ec\60\e9\b6\50\5e\c1\b4\cf\0e\60"
    "\80\1c\98\4f\13\9c\8b\8e\ea\93\55\dc\91\b5\3b\8b\c1\ca\4c\cf\d2\56\45\d0\9f\5a\a0\5d\37\b1\b4\c2"
    "\e5\cf\7b\45\76\96\fd\e6\af\d4\33\2b\9b\72\69\25\b9\be\1a\42\0b\df\d5\17\da\32\f5\1f\fb\e8\b7\b4"
    "\b2\df\ac\62\9a\42\82\de\71\68\2f\fb\32\c3\71\46\94\ce\54\0d\df\e5\51\72\a3\d1\01\4f\6f\f8\47\e9"
    "\c2\ce\68\18\9b\4a\82\6e\e5\35\b2\c1\97\75\de\58\d5\b5\91\cd\20\e0\cb\b4\62\94\ae\2c\ad\43\34\f1"
    "\da\c8\5e\43\69\9f\4d\3c\09\72\5b\9f\f0\7b\5a\cb\6c\22\09\ec\45\83\e2\b0\d2\1b\c9\d2\0c\f4\8a\a8"
    "\75\c9\fe\ac\b4\a1\d2\94\db\bb\1a\85\0b\cb\11\be\39\13\4a\44\ad\ff\38\b6\33\4c\9a\58\82\cb\f0\81"
    "\fc\a4\12\aa\65\b7\3e\9e\90\b1\78\29\9e\56\22\cc\f2\16\a1\de\72\61\07\e6\ef\6a\e2\84\2a\43\94\3b"
    "\e7\17\63\2f\31\96\7a\95\20\4e\93\e4\24\1d\58\18\cc\5f\5d\82\88\7d\3d\93\83\91\d9\ca\66\58\5d\0c"
    "\e6\d2\ed\9f\a1\45\21\63\35\6b\6a\f2\2a\86\37\04\75\48\19\d9\22\a2\16\a5\11\25\93\52\de\29\ca\12"
    "\97\fc\fd\ad\a8\6f\df\0f\ea\3e\8f\96\ca\8b\6e\c7\f5\b3\8b\de\a3\b4\df\ac\91\19\03\aa\31\63\f8\c2"
    "\2e\d3\7d\94\b6\12\48\0a\a6\4c\ee\da\f8\ab\e5\db\97\f5\3f\18\90\82\5c\9d\d3\88\e4\97\9d\fe\89\ed"
    "\d4\12\a8\ea\cc\db\cc\5d\ef\7f\aa\00\6a\ef\e2\b5\60\2c\d1\de\12\11\5c\f0\89\b2\98\2e\b0\78\6b\85"
    "\10\60\7a\24\00\fa\6d\a2\41\77\27\22\fa\17\63\10\a4\18\17\b2\af\ae\02\c6\d2\25\26\24\ed\31\2d\fc"
    "\c5\f7\d2\b1\08\b3\b5\a5\05\97\ef\5e\93\5f\7b\29\7d\ac\c9\f1\ea\73\2e\84\f2\ad\00\40\e1\b2\8c\6d"
    "\b8\66\9a\11\06\78\0d\24\c6\9e\ce\bf\e4\84\7e\c5\8c\05\e3\d0\da\17\d1\36\be\d7\95\27\c4\24\b1\49"
    "\6b\ea\90\19\e6\a8\0c\f5\df\d3\c4\51\ff\8f\33\17\5f\4f\55\d1\bf\4f\7e\bb\2a\f2\ee\37\d2\fe\51\a9"
    "\ab\99\ea\30\7b\57\ae\c7\61\a4\71\c2\08\e5\5a\4e\44\40\0f\a6\8e\bf\98\69\71\13\8b\bd\29\b5\e3\03"
    "\6d\25\2b\62\6a\ff\e4\3c\33\b4\30\85\93\cc\23\bd\d6\f4\a4\ec\59\86\29\0b\31\fd\47\61\38\3d\3d\13"
    "\c0\fc\ae\d9\b6\45\f4\5b\18\89\8c\79\b8\ec\2c\f7\54\1b\4d\3f\2f\07\ce\9b\77\8e\39\f5\5e\08\4e\9c"
    "\27\1c\c2\b4\0f\95\3d\41\6e\0b\6f\59\df\9d\1f\83\36\d3\a6\b9\e4\71\84\90\26\94\48\6a\db\d8\3b\fb"
    "\d4\89\28\b2\35\60\f4\54\03\82\fb\a5\6f\a4\54\c5\a0\1f\f0\a1\af\7d\7a\b8\23\d1\50\55\47\8a\ba\29"
    "\af\ba\80\83\76\ff\c3\e7\93\5e\03\65\eb\6b\b1\cb\a8\38\bd\33\60\8d\d1\e1\bf\5b\2e\96\df\13\7e\e1"
    "\13\8f\08\d1\c9\82\b3\fb\05\7c\b9\08\73\cb\58\18\a0\24\da\36\37\f5\97\6b\73\1d\65\4d\eb\14\84\aa"
    "\96\cc\89\6d\30\24\37\5f\4f\f5\dd\24\14\31\ef\80\38\d1\af\b6\54\6e\de\ad\7a\1d\4a\eb\08\57\be\bb"
    "\c9\0b\f4\c1\bf\53\f2\28\e1\4d\85\65\e4\89\05\35\2c\6f\0b\8b\59\b6\e5\3a\d5\13\d6\e6\b5\9d\b2\1f"
    "\46\35\88\e9\9c\2e\00\9d\5f\36\87\55\2a\e2\43\f7\91\09\8d\e0\a9\e4\db\5e\e3\1f\39\13\0f\aa\79\93"
    "\ed\b2\32\5a\09\31\18\08\00\07\56\71\76\42\b5\1d\5d\58\50\58\74\9c\57\66\2c\10\64\38\c4\12\5c\2c"
    "\e2\1b\c7\d6\84\b0\9d\78\46\d6\f1\6d\7d\ff\b5\8f\54\2c\ba\c7\d6\2e\ff\ca\46\6e\15\6c\92\b1\a8\43"
    "\3a\33\9e\60\c4\71\0c\c1\de\9d\ee\1e\c3\45\3e\cd\56\cd\81\30\73\2e\e9\4c\fb\e4\67\cb\a0\e9\cc\ce"
    "\79\82\0d\71\4a\cf\a0\06\89\4f\17\11\d0\03\01\f0\22\08\18\51\2e\65\c4\a3\89\7c\9a\5b\bc\3a\c0\c7"
    "\6d\87\c2\5b\e0\a8\5c\0e\dc\0a\4b\3d\bb\5e\be\75\cb\16\61\12\3b\8a\59\1b\05\86\69\98\e8\cc\10\c6"
    "\24\e7\1f\6b\cd\aa\4a\d2\65\c5\7b\29\78\6f\cb\5c\36\df\ab\1e\78\e7\30\99\ea\66\2f\ba\1e\69\18\89"
    "\c9\3e\92\7e\ae\24\71\5b\5c\bb\83\e8\ae\11\cf\95\a9\3e\d2\36\3b\db\fa\4e\89\61\72\5e\1f\3f\b4\67"
    "\63\24\d3\5a\5f\20\20\19\74\83\59\6e\20\db\33\dd\33\d0\5e\8d\11\a3\24\f2\6f\47\c7\d9\0d\58\e4\fa"
    "\9f\cf\c3\7c\53\d8\ab\4d\4d\32\5d\fb\d5\2b\90\11\b5\1f\a9\eb\70\75\cc\4a\c8\b6\df\e0\b0\23\fd\4c"
    "\df\f0\b7\66\ea\0f\61\9b\5e\59\bf\00\8b\75\8b\66\ba\4c\d7\eb\af\a6\f6\eb\27\42\72\b5\d9\63\de\86"
    "\73\cb\e0\1c\c2\ca\cc\7f\bb\87\dc\42\be\04\b7\dc\69\18\5a\5b\07\40\7c\e1\22\73\b2\5f\73\0f\75\33"
    "\0d\e7\e9\9f\97\1d\b4\e1\6b\26\da\ab\ea\4a\82\cf\3b\3d\8d\e1\c9\a0\6b\9c\12\70\2b\05\f7\a3\06\2e"
    "\ea\46\50\6f\5e\a2\28\e0\29\96\1b\92\ce\e6\3e\15\8d\a5\6d\6d\ab\fe\98\a7\ad\58\80\1e\69\d6\ad\fe"
    "\8f\e8\c4\38\97\82\6a\ef\f4\68\fc\27\21\94\e8\31\1f\70\11\14\9a\07\b2\70\6b\ff\e0\86\d6\25\3b\04"
    "\bc\ff\33\24\ab\75\65\f5\c4\fd\29\a2\08\2d\a1\bc\5b\f4\d5\7b\94\b5\f9\43\6c\f6\db\65\84\a9\fd\ac"
    "\42\b2\1a\07\94\62\97\6f\4e\d5\8a\d1\de\f5\1a\48\5c\fe\25\e1\fa\57\88\43\7e\0b\ad\39\a2\e3\03\f3"
    "\c5\a2\a0\cf\c6\a1\0e\5a\bf\53\ca\07\4c\30\19\4f\85\20\f9\c6\c2\16\c5\a7\69\15\66\6b\ad\63\36\9c"
    "\05\d6\cd\d6\0b\c3\0f\e0\32\de\fa\f7\b4\41\e6\a6\fa\a4\d9\70\1c\6f\3d\58\40\88\1b\dd\f1\3e\79\21"
    "\ea\77\30\97\db\08\38\f6\94\c9\f2\a1\3f\d5\76\2f\14\60\53\c7\05\e6\c6\8d\f0\34\29\ed\62\71\71\fb"
    "\55\f9\1e\0a\01\bb\46\75\2a\6e\91\15\19\63\ae\80\3b\82\61\d5\85\97\50\8d\db\de\73\85\b7\c7\f2\2f"
    "\77\50\82\8a\08\fb\b3\ae\83\ad\52\65\24\ac\d6\de\c3\6c\7c\03\f1\03\8c\48\76\37\45\61\f2\64\d2\0c"
    "\80\b0\fe\53\0f\7a\96\d9\78\51\fa\42\f5\a0\68\8f\ce\a3\32\ca\61\70\4f\24\e7\e1\4f\09\e4\ae\4b\32"
    "\ea\74\19\fb\b0\d9\99\2c\35\68\c2\f7\b8\36\29\31\e6\02\65\4b\53\53\b4\f0\be\41\62\17\db\1a\a2\58"
    "\2f\d7\30\b6\82\c6\6a\4a\af\64\bc\91\e3\37\6d\98\fc\4f\e6\fd\80\85\df\6c\76\58\80\47\71\14\8e\43"
    "\85\84\f6\58\0a\5a\91\43\c4\2c\7c\ab\9f\19\08\54\cc\0a\0c\e0\da\58\c1\96\d3\33\c4\8f\89\7f\3f\3c"
    "\00\8c\6a\eb\6c\b0\e5\2d\1f\b3\ca\79\70\db\83\fe\ec\dc\23\b7\34\c1\9a\d3\03\cc\2c\2c\76\16\8f\5b"
    "\96\82\37\68\ae\63\82\f8\a5\51\c6\53\44\5b\14\40\7e\fe\c7\aa\bc\ec\e3\97\af\63\3e\a2\38\f8\6b\83"
    "\d2\5c\cf\cf\0a\b4\11\ba\04\d9\54\b6\6d\21\f2\14\f4\a9\9e\73\b8\c2\63\4a\44\cd\e2\27\3b\d8\33\e8"
    "\c2\a6\00\5b\f0\79\14\b9\9d\48\45\72\93\92\34\b6\f5\ed\e6\9a\d8\40\62\4c\02\03\5f\0a\7d\0a\a9\16"
    "\15\9f\db\3f\34\0d\b1\d5\4b\dd\e9\c6\5f\f3\af\0d\69\91\06\b6\96\f3\5c\09\0e\7c\2b\f2\2d\41\a1\d2"
    "\9f\4e\28\14\4a\48\24\66\e9\c5\a9\16\90\4c\63\b7\4a\e4\7f\28\e6\39\54\b8\05\09\92\d8\c4\f2\1f\43"
    "\c6\a0\62\ec\21\81\22\8f\f7\d3\75\23\54\74\a0\af\c5\47\25\dd\00\cf\8e\09\b2\86\90\15\88\e3\44\9b"
    "\48\89\a1\f3\a4\fc\ae\46\ff\48\f8\8e\c6\05\ca\42\91\a9\00\b4\82\6e\42\f7\6a\7a\59\52\16\46\ab\59"
    "\d7\fe\05\e7\26\72\2a\f3\08\67\3d\f3\3e\69\7d\46\13\15\7b\a6\bb\dd\0b\a1\18\39\99\af\fb\00\b4\57"
    "\0f\d5\92\04\f9\f3\82\b3\3e\9a\1e\ea\97\3b\87\82\8b\6b\29\26\d2\b0\4e\18\8a\ae\75\25\b0\37\3f\1b"
    "\14\52\b4\f5\11\6d\99\39\fd\4b\11\3f\0b\10\d6\a6\20\ad\e9\ff\aa\49\38\5c\39\26\76\77\aa\7b\31\7c"
    "\ee\31\83\4f\34\dc\95\cc\14\80\3a\1a\43\1b\9e\bb\66\a4\86\64\7a\83\7e\77\98\e7\24\d3\29\99\0a\6b"
    "\61\7f\db\c6\02\14\6b\ed\87\1f\45\b7\57\5f\4b\32\ea\9d\85\19\d0\c5\ad\cd\8e\8c\dd\6f\45\5f\34\d7"
    "\78\2b\f0\6d\23\9e\66\c5\15\77\22\2a\4a\81\55\ff\23\64\44\00\90\33\2d\32\86\ed\e1\70\4f\9d\e5\1b"
    "\40\da\34\4a\83\e4\b8\cc\95\de\36\be\55\c3\da\55\de\4d\71\ca\49\66\11\25\0d\5f\07\06\c8\e9\41\12"
    "\70\2e\5d\eb\cd\62\e1\3d\49\b3\04\e0\a7\86\6d\b3\f4\f5\bc\14\55\25\47\86\c8\cc\79\59\4a\c7\8a\2e"
    "\d1\cf\50\cf\07\12\27\43\71\d5\90\0d\63\2c\9c\95\9e\58\8d\0d\a6\6e\4c\ff\ee\ce\88\0c\76\03\52\1d"
    "\3a\13\9c\39\c6\33\42\01\39\7f\15\b5\61\ed\21\0e\10\1a\c9\b5\be\df\35\30\bf\7a\db\00\b1\40\61\13"
    "\2f\31\cb\2f\5d\b7\62\b9\57\7c\f6\1c\80\7b\b7\e8\12\a1\76\e2\86\ca\05\cb\59\ea\48\50\b0\0b\b1\9e"
    "\17\59\53\df\f3\4d\26\04\c6\62\71\1a\4e\4e\1d\f0\b9\bf\72\e8\82\f0\5e\3d\9a\93\d3\bd\60\3f\2a\58"
    "\e9\d3\70\b5\cc\99\b0\5a\a5\5c\b9\a3\d5\1d\5a\bc\45\c0\65\a2\21\b4\8a\f4\07\cc\fb\2c\ed\4a\8a\40"
    "\71\11\ba\75\ae\ad\a4\cd\fd\8c\d4\69\33\e4\c7\ce\14\96\31\bf\ea\05\25\39\13\ab\39\01\28\7b\fc\d5"
    "\a7\96\e0\8d\b1\cb\0f\b5\70\ce\bc\5a\5c\af\ce\b2\32\fc\5f\fa\0a\7c\4f\25\18\80\78\e9\f8\12\d2\6e"
    "\35\83\e2\b8\89\25\bb\ea\d3\b7\53\37\f6\e3\89\73\34\b7\5d\cd\2a\10\9f\6a\de\cd\49\dc\c1\f4\c4\cb"
    "\de\48\87\02\5f\d3\e8\f5\75\49\5f\ca\43\b2\24\c1\28\60\5a\ea\e0\2b\45\91\62\41\77\e1\1f\60\a6\e3"
    "\81\35\85\4f\de\b7\85\ab\4d\6e\65\c7\35\97\b7\ee\ff\c2\65\0e\87\95\fa\f6\b1\76\a6\05\7c\59\c9\e8"
    "\88\69\22\1c\19\23\de\b4\c4\ed\52\de\ff\f8\d4\9c\3f\28\7c\db\26\4d\45\80\1d\93\8a\ba\56\99\4f\b5"
    "\17\a5\5a\e9\12\15\e8\93\91\20\b7\eb\2f\98\09\09\02\dc\fc\0c\59\3e\df\31\47\9c\99\2f\03\7e\5e\d7"
    "\94\c2\7b\08\c6\0e\f5\86\fd\36\b9\0b\fa\c3\ee\b3\b1\79\71\6c\7b\80\3c\a3\15\2e\a1\71\92\96\41\a7"
    "\95\25\4d\bd\85\f9\0f\31\0f\d7\cc\f1\1b\6b\d5\34\ec\ca\5a\f5\a3\a2\a1\a8\d5\62\31\b7\b7\53\38\c5"
    "\c8\0f\68\3c\91\04\b8\33\19\9e\cc\1a\0c\6d\6c\2a\1c\27\dd\40\9d\40\24\d2\40\3e\7f\40\1d\61\77\e2"
    "\cf\a2\3b\3f\65\58\d0\7a\d9\cf\47\c7\37\97\d4\30\08\4e\18\b4\63\d6\0a\55\d0\b0\1a\43\cb\c4\12\a9"
    "\63\b4\3d\ab\f0\b9\0e\cb\fa\26\6c\97\08\f0\05\51\62\1a\7b\30\8b\a9\cd\6a\96\13\35\83\68\a9\b3\a7"
    "\6c\84\9d\f7\ac\87\2c\66\26\34\ed\99\39\87\00\5a\6d\e3\10\15\a2\77\29\5b\15\a3\c1\fb\55\16\16\a8"
    "\1d\c1\1e\bb\70\ac\4d\0b\6d\5f\25\5a\10\69\6b\31\e1\f8\03\cb\08\00\4e\ec\dd\1e\2c\f2\b2\ea\f4\b2"
    "\6d\b1\51\78\95\13\95\62\c4\2e\20\eb\bd\67\90\92\e9\dd\f9\32\e9\d6\8b\71\50\da\e0\e9\6a\9e\b4\84"
    "\fd\f7\bd\5a\bf\23\77\58\54\2d\5c\dc\3f\da\95\6c\04\39\a3\2f\05\64\58\80\74\1f\fe\c8\6a\37\6b\08"
    "\8a\2e\9e\1f\62\0d\98\8d\54\16\ea\b5\3e\56\60\67\e0\b3\de\c4\17\07\c5\8b\05\07\f3\f7\a4\b1\c2\39"
    "\ba\01\b6\01\8f\b4\5c\5b\df\f2\d5\b1\12\f2\dc\95\54\98\aa\33\7c\43\71\33\b7\54\7d\a3\b5\60\36\55"
    "\63\99\5a\19\d3\4a\ea\47\86\74\44\a9\dc\65\aa\5d\51\d0\69\a3\37\07\50\53\95\64\12\c6\5b\f9\0d\2a"
    "\20\3c\64\ae\cd\3d\2d\5a\ed\fd\04\9d\a4\54\90\20\44\8c\0f\ae\4c\cc\02\b7\47\64\51\ca\b7\34\23\1b"
    "\ed\25\47\06\66\15\26\8b\38\19\bc\3e\38\32\7a\53\0d\88\92\f9\f1\75\f5\c6\7d\79\86\02\f9\2c\79\61"
    "\9c\56\8a\f7\c1\e8\8f\4d\d1\4b\83\e9\a5\9d\4e\78\9b\ee\3b\9f\96\e3\f9\44\89\12\90\c8\2f\60\64\cc"
    "\51\53\90\8d\be\f0\a0\bd\c9\b6\33\a5\ef\26\00\b7\d8\54\a6\fb\e9\2d\00\23\4a\65\e8\06\c4\9a\c8\eb"
    "\3d\2b\6c\8b\d7\a3\de\6b\6b\b6\44\d5\25\46\8e\a4\26\04\b6\b7\b7\93\7c\90\58\9e\1f\67\d4\81\90\7f"
    "\5e\df\8f\3a\6d\cd\55\8e\be\d1\ce\03\97\df\b7\27\e1\ea\49\68\e5\49\5b\e2\98\6c\cf\f3\1f\a8\36\ab"
    "\2d\8f\44\52\59\76\63\75\bd\78\6a\a8\3c\7b\18\85\fd\1b\eb\54\31\3e\b2\49\ca\d6\07\10\ef\9d\81\6b"
    "\00\ea\17\d8\2e\43\97\9b\f6\71\57\cb\63\75\5c\66\3b\0b\62\07\ac\85\db\78\56\11\bf\e5\58\12\11\0e"
    "\9b\ec\97\7f\08\24\de\ce\03\5a\9c\0c\a4\eb\53\21\c6\43\e5\0a\84\d3\a6\66\3e\c9\33\3c\67\09\d3\7f"
    ;; W2: 10x64 i8, row k = class k (offset 4096)
    "\96\47\80\8e\74\f1\92\09\7b\74\59\65\e9\e1\7f\bd\c9\e6\a6\06\d5\0b\01\40\71\0f\8b\21\26\d2\94\31"
    "\2a\1c\28\bd\58\8c\8c\d9\f2\94\98\a9\af\5a\8c\7a\3f\fb\fc\68\a6\f0\4c\40\fc\75\d0\55\db\2b\ca\6f"
    "\fd\96\85\27\7b\32\43\d7\89\11\46\f9\c3\bb\3c\25\de\51\c4\81\c1\79\41\03\e2\3a\0a\50\fe\27\f1\58"
    "\1a\40\01\78\20\27\9c\f6\1f\63\e1\33\f0\27\5c\6b\32\f8\39\76\a4\77\b8\db\5f\d3\c7\60\d0\c4\1e\3a"
    "\b6\2a\21\c5\31\b2\24\d7\b8\18\79\fd\65\c0\75\d0\30\2b\2f\b6\a2\d7\22\7e\a1\f3\e9\2a\b9\2c\0f\a5"
    "\e8\aa\e0\34\c8\c9\0b\fa\1f\61\b8\b9\9a\cf\0f\db\34\2f\22\59\f5\39\ba\9d\c0\08\73\24\91\dd\d3\26"
    "\ce\0a\ef\e9\12\4f\84\8c\0b\0d\80\6f\3a\47\cf\fc\22\f6\be\7b\1c\bb\35\96\8e\1b\73\dd\7e\bc\dd\e7"
    "\e0\8f\20\1c\9d\cd\48\22\e6\e6\69\f5\78\df\33\66\d5\30\a4\6d\48\39\42\ab\6b\10\88\67\60\71\8f\44"
    "\93\8d\23\e5\49\34\18\a7\e2\95\17\5c\ae\01\5d\5b\7a\67\91\93\8b\a2\80\f7\a7\8b\7c\f2\26\f4\8a\5a"
    "\54\b7\4d\d1\a4\0a\91\7a\78\d9\22\11\d4\b8\d6\fb\24\41\b3\f9\df\c7\ba\8a\f7\17\08\7f\a2\8a\ec\b6"
    "\22\d8\90\f1\63\33\bb\ae\97\5f\12\c0\fd\16\86\55\3a\dd\75\d6\d2\09\4a\4d\b0\b7\eb\8b\f1\bc\db\14"
    "\b0\39\2a\97\cd\9a\e2\57\51\74\f0\a1\1b\9c\74\72\db\d7\b2\30\32\63\db\56\45\2d\c9\a1\86\cb\3a\8b"
    "\24\3f\3a\04\a5\61\8c\2e\77\b8\2e\78\c3\c0\f3\25\59\91\2f\8f\02\1a\a5\0e\0f\63\8b\21\55\c9\ff\c4"
    "\ef\5e\c1\7d\36\2b\ba\9b\eb\7a\12\4b\1f\d5\aa\3d\5b\24\f1\f1\67\2d\7a\6e\66\2f\9e\27\db\43\da\63"
    "\d6\81\b1\f5\81\9f\4c\69\7f\45\f7\4e\d7\fd\4b\7d\6c\77\29\71\7e\4c\36\7c\ce\33\d5\e5\9c\67\26\08"
    "\f4\52\92\8f\28\f7\65\d3\f1\4e\27\80\6d\d9\01\2d\d7\85\42\86\2f\06\b6\08\51\99\09\b9\f9\5c\d2\6f"
    "\9b\07\a0\ad\62\a0\7c\ec\47\bf\1f\39\e4\28\7d\07\8d\c3\c9\54\bf\d5\d0\29\41\6a\48\47\c3\ad\44\b1"
    "\16\59\57\2e\cf\95\f8\ab\0b\3c\31\ea\e0\c5\02\83\b8\de\a7\f1\d2\62\bf\f3\cd\d0\09\c0\f8\31\b6\0a"
    "\6b\a1\dd\ba\5e\06\0c\27\4b\90\d0\21\ab\18\4d\58\f5\76\a9\9d\7b\d0\18\22\23\64\84\2c\5c\32\93\de"
    "\0b\7c\38\ec\0f\75\99\b1\e8\35\f0\e4\72\ef\07\a6\16\32\6f\5b\99\89\98\4c\58\55\66\b0\6f\3b\06\22"
    ;; b1: 64 i32 LE (offset 4736)
    "\05\f9\ff\ff\19\fb\ff\ff\fb\00\00\00\aa\fe\ff\ff\45\ff\ff\ff\bb\06\00\00\a3\04\00\00\df\06\00\00"
    "\ea\05\00\00\c0\fe\ff\ff\02\ff\ff\ff\c1\f9\ff\ff\c7\ff\ff\ff\9f\ff\ff\ff\00\fe\ff\ff\ae\07\00\00"
    "\45\03\00\00\a4\01\00\00\45\ff\ff\ff\99\03\00\00\fd\fd\ff\ff\4e\04\00\00\97\ff\ff\ff\46\06\00\00"
    "\d2\fc\ff\ff\29\04\00\00\db\fa\ff\ff\21\04\00\00\ae\02\00\00\ba\fb\ff\ff\32\00\00\00\21\03\00\00"
    "\03\06\00\00\d7\04\00\00\ca\05\00\00\fc\05\00\00\60\fe\ff\ff\ef\fc\ff\ff\3e\fd\ff\ff\73\fd\ff\ff"
    "\58\f8\ff\ff\63\03\00\00\03\01\00\00\6e\ff\ff\ff\4b\f8\ff\ff\13\f9\ff\ff\6c\05\00\00\38\00\00\00"
    "\86\05\00\00\9c\ff\ff\ff\5c\fa\ff\ff\99\06\00\00\33\03\00\00\b4\f9\ff\ff\b2\fc\ff\ff\33\ff\ff\ff"
    "\2c\fc\ff\ff\b0\05\00\00\7d\01\00\00\7c\05\00\00\bb\fb\ff\ff\4f\f9\ff\ff\9e\fc\ff\ff\05\06\00\00"
    ;; b2: 10 i32 LE (offset 4992)
    "\d4\fc\ff\ff\e9\ff\ff\ff\79\ff\ff\ff\3e\06\00\00\1c\01\00\00\27\00\00\00\64\05\00\00\c6\fa\ff\ff\6c\fa\ff\ff\73\f8\ff\ff")
)
