// Package templates holds every monogen pattern written once as ordinary generic
// Go. Each subpackage is three things at once:
//
//   - the generic reference implementation, importable and benchmarked
//     (github.com/monogen/monogen/templates/shardmap, .../pool, ...);
//   - the readable specification of the pattern;
//   - the source the generator stencils per directive. Sources() exposes the
//     non-test files, embedded in the monogen binary.
//
// # Adding a pattern
//
//  1. Write templates/<pkg>/ as generic Go, following the rules below, with
//     tests (external package <pkg>_test, -race) and benchmarks. Nothing to
//     embed: templates.go embeds every templates/*/*.go.
//  2. Register its kind in internal/kinds, one file with a Register call:
//     directive name, template directory, type parameter names, options, and
//     Build (hook bodies, constants, conditions, emitted constructor).
//  3. Give the kind a benchmark emitter, Kind.Bench (<kind>_bench.go): the
//     benchmarks bench=true writes of the generated type against the
//     template instantiated with the same types.
//  4. Add directives for it to a file of generated/ (directives.go, or the
//     file of its group), run make generate, and test the generated types
//     there: equivalence with the template, stress, and benchmarks
//     (impl=generated|template|peer).
//  5. Add testscripts to cmd/monogen/testdata/script: <kind>_basic.txtar
//     generates the kind, builds and runs the output; <kind>_errors.txtar
//     shows its directive errors. Kinds the README documents together may
//     share scripts named after their group (bounded_basic.txtar).
//  6. Document the directive and every option in the README's directive
//     reference, under a ### heading that names the kind.
//
// TestRecipe in internal/kinds checks steps 1 and 3 to 6 for every
// registered kind.
//
// # Rules the stencil relies on
//
// The stencil works on the type-checked syntax of the template, so the rules
// are about declarations, not text.
//
//   - Non-test files import only the standard library.
//   - One main generic type per template (Map, Pool, ...). Its type parameter
//     names are the template's parameters (K, V; In, Out; ...). Every other
//     generic type or function in the template uses the same names for the same
//     roles, and is instantiated only with those parameters: the stencil
//     replaces type parameters by name. A struct type that code of the main
//     type uses with either parameter (a pipeline stage's batches of In and
//     of Out) is a generic alias per role, inBatch[In, Out] and
//     outBatch[In, Out] = struct{...}, never spelled out: the stencil
//     declares each as a named type, and the kind gives the two roles one
//     name where they meet (stage i's outBatch is stage i+1's inBatch).
//   - Top-level identifiers are renamed per directive: the main type becomes the
//     directive's Name; New becomes New<Name>; another exported X becomes <Name>X;
//     an unexported x becomes <name>X, saying once the words that <Name> ends
//     with and x starts with (queueSlot for BlockQueue is blockQueueSlot,
//     unless another name takes that). Keep template identifiers distinct
//     enough that these names read well (shard, not s).
//   - Locals (parameters, receivers, variables) may be named anything. The
//     stencil inserts text where go/types resolved a name (a type argument,
//     a generated name, a constant, a hook body naming a bound function) and
//     never reads it again; a local whose scope holds inserted text that
//     refers to the local's own name is renamed (b becomes b_), with every
//     use, and no other local is. Imports of the output never take a
//     template identifier, so no local hides one. See docs/stencil.md
//     ("Names"); TestEveryTemplateIdentifierAsAUserName gives every
//     identifier of every template to a user's type, function and directive.
//   - //monogen:hook in the doc comment of a top-level function marks a
//     specialization hook. The kind may replace its body with code built for the
//     concrete types (a hasher for the key type, a direct call to the user's
//     function). Keep hooks small so the compiler inlines them; the generic body
//     is the reference behaviour.
//   - //monogen:template in a doc comment marks a declaration that exists only in
//     the generic reference (a constructor taking options, an Options type); the
//     stencil drops it and the kind emits what replaces it.
//   - //monogen:if COND in a doc comment (or on a struct field's line comment)
//     keeps the declaration only when COND holds. COND is a boolean the kind
//     defines (metrics, boundFn, comparable(V)) or its negation with !.
//   - Comments are written for the generated declaration, which the stencil
//     renames in prose along with the code: a doc comment starts with the
//     declaration's name (shard is ..., which becomes storeShard is ...), a
//     type parameter in prose becomes the directive's type (a hash map from
//     K to V reads from SessionID to *Session there; In and Out starting a
//     sentence are English), Config.Field becomes "the field= option".
//     Mention no constant that folding removes, and no template file.
//   - //monogen:doc COND TEXT lines at the end of a doc comment (a
//     function's, a type's, a var's or const's, a struct field's) give the
//     declaration's doc in the output where COND holds, a line each, an
//     empty TEXT between paragraphs. COND may join conditions with commas
//     (all must hold), or be * for text every variant shares (alone it
//     gives no variant). The doc above them stays the template's
//     own (go doc hides the lines). They let a declaration that serves several
//     directives speak only of what each output is: a rate limiter's docs
//     name the token bucket or the sliding window, not both. A kind's
//     HookDocs entry for the same declaration wins.
//   - //monogen:note TEXT is a comment line for readers of the template only:
//     a reference to another file of the template, what the generator does
//     with a hook, which branch an option removes. The stencil drops every
//     //monogen: line, so a note never reaches the output (gofmt moves the
//     notes of a doc comment to its end, after a blank line). A remark that
//     would need a note in the middle of a sentence gets a sentence of its
//     own. A //lint: line (staticcheck's //lint:ignore, for a field only
//     the output of an option reads) is dropped the same way.
//   - Package-level constants are the options. The kind may set a constant's value
//     from the directive (shardBits from shards=64). After substitution the
//     stencil folds `if` statements whose condition is constant, so a branch for
//     an option that is off disappears from the output.
//   - Runtime options of the generic reference live in one struct type marked
//     //monogen:config (say Config), stored in a field of the main type (cfg) and
//     read only as x.cfg.Field. The stencil drops that type and that field and
//     replaces every read of a Field by the constant the kind gives: the
//     directive's value or the default. Assign config fields only in
//     //monogen:template code (the constructor applies defaults).
//   - Constructors: the reference constructor New (taking fn, Config, ...) is
//     //monogen:template when its signature differs from the generated one. It
//     does nothing but fill defaults, build the main struct and call an
//     unexported init method (stenciled). The kind emits New<Name> that builds
//     the struct the same way and calls the same init. A template whose New
//     already has the generated shape (shardmap's New()) keeps it.
//   - A user function is called only from a hook (a method or function marked
//     //monogen:hook, e.g. func (p *Pool[In, Out]) call(ctx, in) (Out, error)
//     { return p.fn(ctx, in) }); the field holding it is //monogen:if !boundFn.
//     With fn=name in the directive the hook body becomes a direct call.
//   - Unexported declarations and struct fields that nothing references after
//     folding are removed.
package templates
