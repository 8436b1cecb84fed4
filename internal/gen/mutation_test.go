package gen_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/monogen/monogen/internal/gen"
	"github.com/monogen/monogen/internal/kinds"
)

// mutationValues replace each option's value: numbers at and past the
// limits, durations, rates, words that name directives and functions of the
// catalogue, lists, a letter of another script.
var mutationValues = []string{
	"0", "1", "2", "3", "-1", "", "9223372036854775807", "9223372036854775808", "1e9",
	"0s", "1ns", "1ms", "-1s", "1h", "9999999h", "0/s", "1/s", "1/24h", "100000/s", "1000000000/ns",
	"true", "false", "x", "μ", "API", "Guard", "work", "a,b", ",", "1,1", "0,0", "1,2,3,4",
}

// mutationTypes replace each type argument: types of every shape the
// catalogue's package declares or Go spells.
var mutationTypes = []string{
	"int", "int8", "uint8", "uintptr", "rune", "bool", "float32", "complex64", "string",
	"Small", "ID", "Key", "Item", "*Item", "[]Key", "Blob", "Conn", "*Conn", "Named", "Generic[int]",
	"struct{}", "struct{ A, B int }", "struct{ _ int; A int }", "struct{ a float64 }",
	"[0]int", "[3]string", "[2][2]int", "[16]byte", "[17]byte", "[65]byte",
	"*int", "[]int", "map[int]int", "chan int", "<-chan int", "func()", "func(int) int",
	"any", "error", "interface{ M() }",
}

var (
	mutationOption = regexp.MustCompile(`(\w+)=(\S*)`)
	mutationArgs   = regexp.MustCompile(`\[(.*)\]`)
	mutationLine   = regexp.MustCompile(`x\.go:(\d+):\d+: `)
)

// mutations returns variants of the directives of kind in valid: the value
// of each option (where the option first appears) replaced by each of
// mutationValues, each option dropped,
// the options of every other directive added, and each type argument of the
// first three replaced by each of mutationTypes. Each variant has a name of
// its own, every other one unexported.
func mutations(kind string, valid []string) []string {
	var own []string
	for _, l := range valid {
		if strings.HasPrefix(l, "//monogen:"+kind+" ") {
			own = append(own, l)
		}
	}
	var out []string
	valued := map[string]bool{} // options whose values were replaced
	add := func(l string) {
		f := strings.Fields(l)
		name, args, _ := strings.Cut(f[1], "[")
		name += "Z" + strconv.Itoa(len(out))
		if len(out)%2 == 0 && name[0] >= 'A' && name[0] <= 'Z' {
			name = strings.ToLower(name[:1]) + name[1:]
		}
		if args != "" {
			name += "[" + args
		}
		f[1] = name
		out = append(out, strings.Join(f, " "))
	}
	for k, a := range own {
		name := strings.Fields(a)[1]
		// The type arguments of the first directives of a kind: their types
		// meet the options of the others in the catalogue itself.
		if m := mutationArgs.FindStringSubmatchIndex(name); m != nil && k < 3 {
			off := strings.Index(a, name)
			args := strings.Split(name[m[2]:m[3]], ", ")
			for i := range args {
				for _, ty := range mutationTypes {
					b := append([]string(nil), args...)
					b[i] = ty
					add(a[:off+m[2]] + strings.Join(b, ", ") + a[off+m[3]:])
				}
			}
		}
		for _, m := range mutationOption.FindAllStringSubmatchIndex(a, -1) {
			add(a[:m[0]] + a[m[1]:])
			// An option's values are checked alike in every directive.
			if key := a[m[2]:m[3]]; !valued[key] {
				valued[key] = true
				for _, v := range mutationValues {
					add(a[:m[4]] + v + a[m[5]:])
				}
			}
		}
		for _, b := range own {
			if b == a {
				continue
			}
			have := map[string]bool{}
			for _, m := range mutationOption.FindAllStringSubmatch(a, -1) {
				have[m[1]] = true
			}
			extra := ""
			for _, m := range mutationOption.FindAllStringSubmatch(b, -1) {
				if !have[m[1]] {
					extra += " " + m[0]
					have[m[1]] = true
				}
			}
			if extra != "" {
				add(a + extra)
			}
		}
	}
	return out
}

// TestMutatedCatalogueDirectives generates every mutation of the valid
// catalogue's directives (about 4,000), a package per kind: each must be
// refused with errors at its own line, at most three, or generate code that
// type-checks and passes go vet; never a panic or an internal error. The
// refused are commented out and the package generated again, until nothing
// is refused (some checks, bench=true's, run only once the rest generates).
func TestMutatedCatalogueDirectives(t *testing.T) {
	if testing.Short() {
		t.Skip("about a minute: not in -short mode")
	}
	for _, kind := range kinds.Names() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			var lines []string
			for _, l := range catalogueValid[kind] {
				if !strings.HasPrefix(l, "//monogen:"+kind+" ") {
					lines = append(lines, l) // a directive the others name
				}
			}
			lines = append(lines, mutations(kind, catalogueValid[kind])...)
			const header = 2 // x.go's lines before the directives
			for round := 0; ; round++ {
				if round == 4 {
					t.Fatal("still refusing directives after 4 rounds")
				}
				dir := scratchModule(t, map[string]string{
					"p/decl.go": fmt.Sprintf(catalogueDecls, "p"),
					"p/x.go":    "package p\n\n" + strings.Join(lines, "\n") + "\n",
				}, true)
				res, err := generateRecovered(filepath.Join(dir, "p"))
				if err == nil {
					if _, err := gen.Write(res); err != nil {
						t.Fatal(err)
					}
					vet := exec.Command("go", "vet", "./p")
					vet.Dir = dir
					vet.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local")
					if out, err := vet.CombinedOutput(); err != nil {
						t.Fatalf("go vet: %v\n%.3000s", err, out)
					}
					return
				}
				var errs gen.Errors
				if !errors.As(err, &errs) {
					t.Fatalf("round %d: %v (%T), want directive errors", round, err, err)
				}
				refused := map[int]int{}
				for _, e := range errs {
					m := mutationLine.FindStringSubmatch(e.Error())
					if m == nil {
						t.Fatalf("error without a position in x.go: %v", e)
					}
					n, _ := strconv.Atoi(m[1])
					i := n - 1 - header
					if i < 0 || i >= len(lines) || !strings.HasPrefix(lines[i], "//monogen:") {
						t.Fatalf("error at line %d, not a directive's: %v", n, e)
					}
					if refused[i]++; refused[i] > 3 {
						t.Errorf("more than 3 errors for %s", lines[i])
					}
					if len(e.Error()) > 1000 {
						t.Errorf("error of %d bytes: %.200s...", len(e.Error()), e)
					}
				}
				for i := range refused {
					lines[i] = "// refused: " + strings.TrimPrefix(lines[i], "//")
				}
			}
		})
	}
}

// generateRecovered is gen.Generate on dir, with a panic turned into an
// error that fails the test.
func generateRecovered(dir string) (res *gen.Result, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v", v)
		}
	}()
	return gen.Generate(gen.Config{Dir: dir})
}
