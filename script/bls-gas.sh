#!/usr/bin/env bash
# Measures, on a real EVM (anvil --hardfork prague), what verifying one BLS12-381 aggregate signature
# would cost on L1 through the EIP-2537 precompiles, next to the current ECDSA sign-offs (one
# ecrecover per committee signer, see Committee._checkSignoffs).
#
# It starts its own anvil on a free loopback port (killed on exit), builds valid inputs from the
# standard BLS12-381 generators (checked first: e(G1, G2) * e(-G1, G2) == 1 through PAIRING_CHECK),
# and `cast estimate`s a call straight to each precompile: PAIRING_CHECK with 2 pairs, G1ADD,
# G1MSM over M = 2..32 points, MAP_FP2_TO_G2, G2ADD, and ecrecover (0x01) on a real signature.
# For each it prints the calldata size, the estimate, the intrinsic gas (21000 + 16 per nonzero and
# 4 per zero calldata byte), the EIP-7623 calldata floor (21000 + 10 per token, token = zero byte
# or 4 per nonzero byte; Prague charges max(intrinsic + execution, floor)) and the precompile's own
# gas: estimate - intrinsic, or, where the floor hides it, the gas a probe contract sees the
# precompile STATICCALL use (GAS before and after, fixed opcode overhead removed); where both
# exist they must agree. Then it derives the cost of one aggregate verification over M signers.
# Not included: hash_to_field's expand_message_xmd (SHA-256 precompile calls and the glue code).
#
# Usage: script/bls-gas.sh   (needs python3; takes a few seconds)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# shellcheck source=script/env.sh
source "$root/script/env.sh"

tmp="$(mktemp -d)"
anvil_pid=""
cleanup() {
  if [[ -n "$anvil_pid" ]]; then
    kill "$anvil_pid" 2>/dev/null || true
    wait "$anvil_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- anvil: own instance, port chosen by the OS, lifetime bounded even if the trap never runs ---
timeout 300 anvil --hardfork prague --host 127.0.0.1 --port 0 >"$tmp/anvil.log" 2>&1 &
anvil_pid=$!
rpc=""
for _ in $(seq 1 100); do
  port="$(sed -n 's/^Listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$tmp/anvil.log")"
  if [[ -n "$port" ]] && cast chain-id --rpc-url "http://127.0.0.1:$port" >/dev/null 2>&1; then
    rpc="http://127.0.0.1:$port"
    break
  fi
  kill -0 "$anvil_pid" 2>/dev/null || break
  sleep 0.1
done
if [[ -z "$rpc" ]]; then
  echo "bls-gas: anvil did not come up within 10 s" >&2
  cat "$tmp/anvil.log" >&2
  exit 1
fi

# --- inputs and calldata costs (python3, standard library only) ---
cat >"$tmp/bls.py" <<'PY'
import sys

P = 0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab
G1 = (0x17f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb,
      0x08b3f481e3aaa0f1a09e30ed741d8ae4fcf5e095d5d00af600db18cb2c04b3edd03cc744a2888ae40caa232946c5e7e1)
G2 = ((0x024aa2b2f08f0a91260805272dc51051c6e47ad4fa403b02b4510b647ae3d1770bac0326a805bbefd48056c8c121bdb8,
       0x13e02b6052719f607dacd3a088274f65596bd0d09920b61ab5da61bbdc7f5049334cf11213945d57e5ac7d055d042b7e),
      (0x0ce5d527727d6e118cc9cdc6da2e351aadfd9baa8cbdd3a76d429a695160d12c923ac9cc3baca289e193548608b82801,
       0x0606c4a02ea734cc32acd2b02bc28b99cb3e287e85a763af267492ab572e99ab3f370d275cec1da1aaa9075ff05f79be))
SIZES = (2, 4, 8, 16, 32)


def fp(v):  # 64-byte EIP-2537 field element: 16 zero bytes, then 48 bytes big-endian
    return "%0128x" % v


def g1(pt):
    return fp(pt[0]) + fp(pt[1])


def g2(pt):
    return fp(pt[0][0]) + fp(pt[0][1]) + fp(pt[1][0]) + fp(pt[1][1])


def f2mul(a, b):  # Fp2 = Fp[u] / (u^2 + 1)
    return ((a[0] * b[0] - a[1] * b[1]) % P, (a[0] * b[1] + a[1] * b[0]) % P)


def g1add(a, b):  # affine group law on y^2 = x^3 + 4 (inputs never opposite here)
    if a == b:
        lam = 3 * a[0] * a[0] * pow(2 * a[1], -1, P) % P
    else:
        lam = (b[1] - a[1]) * pow(b[0] - a[0], -1, P) % P
    x = (lam * lam - a[0] - b[0]) % P
    return (x, (lam * (a[0] - x) - a[1]) % P)


def inputs():
    x, y = G1
    assert (y * y - x ** 3 - 4) % P == 0, "G1 is not on y^2 = x^3 + 4"
    (x0, x1), (y0, y1) = G2
    lhs = f2mul((y0, y1), (y0, y1))
    rhs = f2mul(f2mul((x0, x1), (x0, x1)), (x0, x1))
    rhs = ((rhs[0] + 4) % P, (rhs[1] + 4) % P)  # + 4(1 + u)
    assert lhs == rhs, "G2 is not on y^2 = x^3 + 4(1 + u)"
    neg_g1 = (x, (P - y) % P)
    out = {
        "G1": g1(G1),
        "NEG_G1": g1(neg_g1),
        "PAIRING2": g1(G1) + g2(G2) + g1(neg_g1) + g2(G2),     # e(G1,G2) * e(-G1,G2) == 1
        "PAIRING2_NEG": g1(G1) + g2(G2) + g1(G1) + g2(G2),     # e(G1,G2)^2 != 1
        "G1ADD": g1(G1) + g1(g1add(G1, G1)),                   # G1 + 2*G1
        "G1ADD_OUT": g1(g1add(G1, g1add(G1, G1))),             # 3*G1
        "MAP_FP2_A": fp(1) + fp(2),                            # u = 1 + 2u
        "MAP_FP2_B": fp(3) + fp(4),                            # u = 3 + 4u
    }
    pts = [G1]
    while len(pts) < max(SIZES):
        pts.append(g1add(pts[-1], G1))                         # k*G1, k = 1..32
    for m in SIZES:
        out["MSM_%d" % m] = "".join(g1(pt) + "%064x" % 1 for pt in pts[:m])
        acc = pts[0]
        for pt in pts[1:m]:
            acc = g1add(acc, pt)                               # (m(m+1)/2)*G1
        out["MSM_%d_OUT" % m] = g1(acc)
    for k, v in out.items():
        print("%s=0x%s" % (k, v))


def cost(data):
    b = bytes.fromhex(data[2:] if data.startswith("0x") else data)
    zero = b.count(0)
    nonzero = len(b) - zero
    print(len(b), 21000 + 16 * nonzero + 4 * zero, 21000 + 10 * (zero + 4 * nonzero))


if sys.argv[1] == "inputs":
    inputs()
else:
    cost(sys.argv[2])
PY
python3 "$tmp/bls.py" inputs >"$tmp/inputs"
declare -A in=()
while IFS='=' read -r key value; do
  in[$key]="$value"
done <"$tmp/inputs"

addr() { printf '0x%040x' "$((16#$1))"; }

# probe: CALLDATACOPY the input, GAS, STATICCALL(gas, precompile, input), GAS; returns
# (gas before - gas after, success). Between the two GAS readings: PUSH0 x3, CALLDATASIZE, PUSH1,
# GAS (2+2+2+2+3+2), STATICCALL to a warm precompile (100) and the closing GAS (2) = 115.
probe_overhead=115
probe_addr=0x00000000000000000000000000000000000b1500
probe_code() { printf '0x365f5f375a5f5f365f60%s5afa5a9060205290035f5260405ff3' "$1"; }

rows=()
declare -A gas=()
# measure KEY NAME PRECOMPILE_HEX_BYTE CALLDATA: fills gas[KEY] with the precompile's own gas
measure() {
  local key="$1" name="$2" pc="$3" data="$4" to est bytes intrinsic floor out used ok own note
  to="$(addr "$pc")"
  est="$(cast estimate --rpc-url "$rpc" "$to" "$data")"
  read -r bytes intrinsic floor < <(python3 "$tmp/bls.py" cost "$data")
  out="$(cast call --rpc-url "$rpc" --override-code "$probe_addr:$(probe_code "$pc")" "$probe_addr" "$data")"
  used=$((16#${out:2:64} - probe_overhead))
  ok=$((16#${out:66:64}))
  if [[ "$ok" != 1 ]]; then
    echo "bls-gas: $name: the precompile call failed inside the probe" >&2
    exit 1
  fi
  if ((est > floor)); then
    own=$((est - intrinsic))
    note=""
    if ((own != used)); then
      echo "bls-gas: $name: estimate - intrinsic = $own but the probe saw $used" >&2
      exit 1
    fi
  else
    own="$used"
    note=" (floor)"
  fi
  gas[$key]="$own"
  rows+=("$(printf '%-22s %6s %9s %9s %9s %9s%s' "$name" "$bytes" "$est" "$intrinsic" "$floor" "$own" "$note")")
}

expect() { # expect WHAT GOT WANT
  if [[ "${2,,}" != "${3,,}" ]]; then
    printf 'bls-gas: %s returned %s, expected %s\n' "$1" "$2" "$3" >&2
    exit 1
  fi
}

one="0x$(printf '%064x' 1)"
zero="0x$(printf '%064x' 0)"

# --- correctness first: the generators pair to 1, and the outputs are what the group law says ---
pairing_out="$(cast call --rpc-url "$rpc" "$(addr 0f)" "${in[PAIRING2]}")"
expect "PAIRING_CHECK e(G1,G2)*e(-G1,G2)" "$pairing_out" "$one"
expect "PAIRING_CHECK e(G1,G2)*e(G1,G2)" "$(cast call --rpc-url "$rpc" "$(addr 0f)" "${in[PAIRING2_NEG]}")" "$zero"
expect "G1ADD G1 + 2*G1" "$(cast call --rpc-url "$rpc" "$(addr 0b)" "${in[G1ADD]}")" "${in[G1ADD_OUT]}"
for m in 2 4 8 16 32; do
  expect "G1MSM over $m points" "$(cast call --rpc-url "$rpc" "$(addr 0c)" "${in[MSM_$m]}")" "${in[MSM_${m}_OUT]}"
done
q0="$(cast call --rpc-url "$rpc" "$(addr 11)" "${in[MAP_FP2_A]}")"
q1="$(cast call --rpc-url "$rpc" "$(addr 11)" "${in[MAP_FP2_B]}")"
g2add_in="$q0${q1#0x}"
q="$(cast call --rpc-url "$rpc" "$(addr 0d)" "$g2add_in")"
# the sum of the two mapped points is a G2 subgroup point: PAIRING_CHECK accepts it (it checks subgroups)
expect "PAIRING_CHECK e(G1,Q)*e(-G1,Q), Q = map(1+2u) + map(3+4u)" \
  "$(cast call --rpc-url "$rpc" "$(addr 0f)" "${in[G1]}${q#0x}${in[NEG_G1]#0x}${q#0x}")" "$one"

key=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
signer="$(cast wallet address --private-key "$key")"
digest="$(cast keccak "fernet bls-gas sign-off")"
sig="$(cast wallet sign --no-hash --private-key "$key" "$digest")"
sig="${sig#0x}"
ecrecover_in="$digest$(printf '%064x' "$((16#${sig:128:2}))")${sig:0:128}"
recovered="$(cast call --rpc-url "$rpc" "$(addr 01)" "$ecrecover_in")"
expect "ecrecover" "0x${recovered:26:40}" "$signer"

# --- gas ---
measure pairing "PAIRING_CHECK k=2" 0f "${in[PAIRING2]}"
measure g1add "G1ADD" 0b "${in[G1ADD]}"
for m in 2 4 8 16 32; do
  measure "msm$m" "G1MSM k=$m" 0c "${in[MSM_$m]}"
done
measure map "MAP_FP2_TO_G2" 11 "${in[MAP_FP2_A]}"
measure g2add "G2ADD" 0d "$g2add_in"
measure ecrecover "ecrecover" 01 "$ecrecover_in"

echo "BLS12-381 (EIP-2537) vs ECDSA on anvil $(anvil --version | sed -n '1s/^anvil Version: //p') --hardfork prague"
echo "pairing check of the generators, e(G1,G2)*e(-G1,G2) == 1: $pairing_out"
echo
printf '%-22s %6s %9s %9s %9s %9s\n' "operation" "bytes" "estimate" "intrinsic" "7623floor" "precompile"
printf '%s\n' "${rows[@]}"
echo
echo "precompile = estimate - intrinsic; (floor) = the EIP-7623 calldata floor set the estimate, so the"
echo "figure is the gas a probe contract measured around its STATICCALL to the precompile."
echo
sload=$((4 * 2100))
printf 'BLS verify of one aggregate over M signers ~ pairing(2) + 2 x map_fp2_to_g2 + g2add + (M-1) x g1add\n'
printf '  = %d + 2 x %d + %d + (M-1) x %d; +SLOAD column: + M x 4 x 2100 cold SLOAD (assumed: each\n' \
  "${gas[pairing]}" "${gas[map]}" "${gas[g2add]}" "${gas[g1add]}"
printf '  48-byte pubkey kept as the precompile'"'"'s 128-byte G1 encoding, 4 storage words). ECDSA: M x %d.\n' \
  "${gas[ecrecover]}"
printf '%4s %12s %16s %16s %16s\n' "M" "BLS" "BLS+SLOADs" "ECDSA" "G1MSM(M) agg"
for m in 2 4 8 16 32; do
  bls=$((gas[pairing] + 2 * gas[map] + gas[g2add] + (m - 1) * gas[g1add]))
  printf '%4d %12d %16d %16d %16d\n' "$m" "$bls" "$((bls + m * sload))" "$((m * gas[ecrecover]))" \
    "${gas[msm$m]}"
done
echo
echo "Precompile gas only: not included are hash_to_field's expand_message_xmd (SHA-256 precompile"
echo "calls), the ~100 gas warm STATICCALL and memory per precompile call, calldata for signatures and"
echo "signer bitmaps, and (for ECDSA) the per-signer membership checks. G1MSM(M) is the alternative"
echo "aggregation of M public keys with scalar 1 instead of (M-1) G1ADDs."
