// Package dialect is the front end for Momentum's Lua dialect: a lexer and
// recursive-descent parser for Lua 5.1 plus the extensions of Threaded Lua
// (thrlua, the Lua Momentum embeds), producing gopher-lua's AST, compiled
// by gopher-lua's own compiler.
//
// The extensions, with the semantics of thrlua's source (SparkPost/thrlua:
// src/llex.c, lparser.c, lvm.c, luaconf.h, doc/differences.md):
//
//   - a != b is a ~= b; !a is not a.
//   - a & b, a | b, a ^^ b, a << n, a >> n, ~a: both operands are converted
//     to int64 as a C cast does (truncation toward zero; NaN and values out
//     of range give INT64_MIN), the result is an ordinary number. >> is
//     arithmetic; shift counts are taken modulo 64, as x86-64 does. Numeric
//     strings are converted; other operands try the metamethods __and __or
//     __xor __shl __shr __not (first operand's, then second's), else
//     "attempt to perform bitwise operation on a nil value".
//   - a \ b is floor(a / b) on two numbers, without integer conversion, so
//     7.5 \ 2 is 3 and 1 \ 0 is inf. Otherwise thrlua's VM takes the path of
//     /: numeric strings divide without flooring ("7" \ 2 is 3.5), __div is
//     tried (thrlua never consults __intdiv), else "attempt to perform
//     arithmetic on ...". This package reproduces that.
//   - Precedence is thrlua's priority[] table: | & ^^ bind like + and -,
//     << >> \ like * / %, all left associative; unary ~ and ! like not.
//     So 1 | 2 & 3 is (1 | 2) & 3 and 1 << 2 + 1 is (1 << 2) + 1.
//   - Strings accept \xHH and \uHHHH (4, 6 or 8 hex digits, UTF-8 encoded);
//     a numeral with a leading 0 is octal (0660 is 432, 08 and 0010.5
//     are malformed).
//
// Lowering: every extended operator, and every .. (so numbers concatenate
// with PUC's "%.14g" formatting), becomes a call of a hidden local whose
// name is not an identifier, so scripts cannot see, shadow or replace it
// whatever they do to globals or environments. Compile declares the locals
// the chunk uses at its top and rewrites their initialisation into reads
// of the chunk's upvalues; Load points those upvalues at operator functions
// built once per LState. The user chunk stays the main function: line
// numbers, ..., and the global arg are untouched. The package exports
// Compile, not its parser: the AST is unusable without the prologue. Each
// call carries the operands' names (global 'x', local 'y', field 'z',
// upvalue 'w') as a constant argument so runtime errors read as PUC's do,
// at the line PUC reports (the operation's last token).
//
// Plain Lua that gopher-lua's compiler gets wrong is lowered too (lower.go,
// arith.go): a multiple assignment becomes a block that evaluates into
// hidden locals in PUC's order, then stores right to left (gopher-lua issue
// #440); a numeric for whose bounds are not all numerals converts them
// with one hidden-operator call per loop entry, as PUC's OP_FORPREP (numeric
// strings accepted, PUC's error texts); ^ is a hidden operator on number.Pow
// unless gopher-lua folds two constants to the same number; a table
// constructor of more than 512 fields is built by chunk functions
// (constructor.go), as gopher-lua loses list items past 25,550 and
// compiles many constants in quadratic time. %, arithmetic
// on numeric strings and # stay gopher-lua's: lowering them would make
// every such operation a host call (luahost/puc/DIFFERENCES.md has the
// figures). Lowered code needs more registers than gopher-lua's own: a
// lowering that would not fit gopher-lua's 200 is left out (claim in
// parser.go, the retry in Compile).
package dialect
