--- Values of every dtype for the conversion tests (test_dtypes_spec.lua) and
-- the cross-language tests: `ok` pairs {value put from Lua, value read back},
-- and `bad` values that must be refused. Expected floats of float16/bfloat16
-- are the nearest representable values (numpy's float16; bfloat16 rounded to
-- nearest even from float32, as torch does).
local NAN = 0 / 0
local INF = math.huge
local FLT_MAX = 3.4028234663852886e38
local BF16_MAX = 3.3895313892515355e38

return {
  { dtype = "bool",
    ok = { { true, true }, { false, false }, { 1, true }, { 0, false } },
    bad = { 2, -1, 0.5, "x", {}, NAN } },
  { dtype = "int8",
    ok = { { -128, -128 }, { 127, 127 }, { 0, 0 }, { 3.0, 3 } },
    bad = { 128, -129, 1.5, "x", true, INF, NAN } },
  { dtype = "int16",
    ok = { { -32768, -32768 }, { 32767, 32767 }, { -1, -1 } },
    bad = { 32768, -32769, 0.25, "x", false } },
  { dtype = "int32",
    ok = { { -2147483648, -2147483648 }, { 2147483647, 2147483647 }, { 12345, 12345 } },
    bad = { 2147483648, -2147483649, 1e10, 2.5, "x", {} } },
  { dtype = "int64",
    ok = { { math.mininteger, math.mininteger }, { math.maxinteger, math.maxinteger },
           { 9007199254740993, 9007199254740993 }, { -1, -1 }, { 2.0 ^ 62, 1 << 62 } },
    bad = { 2.0 ^ 63, -2.0 ^ 64, 0.5, INF, NAN, "x", true } },
  { dtype = "uint8",
    ok = { { 0, 0 }, { 255, 255 }, { 128, 128 } },
    bad = { 256, -1, 1.5, "x" } },
  { dtype = "uint16",
    ok = { { 0, 0 }, { 65535, 65535 } },
    bad = { 65536, -1, 0.5, "x" } },
  { dtype = "uint32",
    ok = { { 0, 0 }, { 4294967295, 4294967295 } },
    bad = { 4294967296, -1, 0.5, "x" } },
  { dtype = "uint64",
    ok = { { 0, 0 }, { math.maxinteger, math.maxinteger },
           { 2.0 ^ 63, 2.0 ^ 63 }, { 18446744073709549568.0, 18446744073709549568.0 } },
    bad = { -1, 2.0 ^ 64, 0.5, -0.5, INF, NAN, "x" } },
  { dtype = "float16",
    ok = { { 0.0, 0.0 }, { 1.0, 1.0 }, { -2.5, -2.5 }, { 0.1, 0.0999755859375 },
           { 1 / 3, 0.333251953125 }, { 65504.0, 65504.0 }, { -65504.0, -65504.0 },
           { 2 ^ -14, 2 ^ -14 }, { 2 ^ -24, 2 ^ -24 },             -- smallest subnormal
           { 2 ^ -25, 0.0 }, { 1.5 * 2 ^ -25, 2 ^ -24 },           -- ties to even
           { 1 + 2 ^ -11, 1.0 }, { 1 + 3 * 2 ^ -11, 1.001953125 }, -- ties to even
           { 1000.7, 1000.5 }, { 3.14159, 3.140625 }, { INF, INF }, { -INF, -INF },
           { 7, 7.0 } },
    bad = { 65520.0, 1e5, -70000.0, 1e300, "x", true } },
  { dtype = "bfloat16",
    ok = { { 0.1, 0.10009765625 }, { 1 / 3, 0.333984375 }, { 1 + 2 ^ -8, 1.0 },
           { 1 + 3 * 2 ^ -8, 1.015625 }, { 3.14159, 3.140625 }, { 65504.0, 65536.0 },
           { 123456.0, 123392.0 }, { -1e38, -9.969209968386869e37 },
           { BF16_MAX, BF16_MAX }, { -BF16_MAX, -BF16_MAX }, { INF, INF }, { 2 ^ -133, 2 ^ -133 } },
    -- 3.4e38 is below FLT_MAX but above the largest bfloat16 (it would round to inf)
    bad = { 1e39, -1e39, 1e300, 3.4e38, -3.4e38, "x", {} } },
  { dtype = "float32",
    ok = { { 0.1, 0.10000000149011612 }, { FLT_MAX, FLT_MAX }, { -FLT_MAX, -FLT_MAX },
           { INF, INF }, { 16777217, 16777216.0 }, { 1.5, 1.5 } },
    bad = { 1e39, -1e39, 1e300, "x", false } },
  { dtype = "float64",
    ok = { { math.pi, math.pi }, { 1e-310, 1e-310 }, { -INF, -INF }, { 1e308, 1e308 },
           { math.maxinteger, math.maxinteger + 0.0 }, { 3, 3.0 } },
    bad = { "x", true, {} } },
  { dtype = "complex64",
    ok = { { { re = 1.5, im = -2 }, { re = 1.5, im = -2.0 } }, { 3, { re = 3.0, im = 0.0 } },
           { { re = 0.1, im = 1e-3 }, { re = 0.10000000149011612, im = 0.0010000000474974513 } } },
    bad = { { re = 1 }, { im = 1 }, { re = 1e39, im = 0 }, { re = 0, im = -1e39 }, "x", true } },
  { dtype = "complex128",
    ok = { { { re = 1e300, im = -1e-300 }, { re = 1e300, im = -1e-300 } }, { -4, { re = -4.0, im = 0.0 } },
           { { re = math.pi, im = INF }, { re = math.pi, im = INF } } },
    bad = { { re = 1 }, { re = "x", im = 1 }, "x", true } },
}
