package kinds

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/monogen/monogen/internal/stencil"
)

// maxSemaphore is the template's MaxN: the held count shares its word with
// two flag bits.
const maxSemaphore = 1<<61 - 1

// //monogen:semaphore Name n=N
func init() {
	Register(&Kind{
		Name:     "semaphore",
		Template: "semaphore",
		Main:     "Semaphore",
		Doc:      "weighted FIFO semaphore whose capacity is a constant: Name n=N",
		Options: []OptionSpec{
			{Key: "n", Type: Int, Min: 1, Max: maxSemaphore, Doc: "capacity: the total weight held at once (required)"},
		},
		Build: buildSemaphore,
		Bench: benchSemaphore,
	})
}

func buildSemaphore(c *Context) error {
	o := c.D.Option("n")
	if o == nil {
		return c.Errorf("semaphore %s needs its capacity: n=, for example //monogen:semaphore %s n=16", c.D.Name, c.D.Name)
	}
	n := o.Value.(int64)
	c.Spec.Config["N"] = fmt.Sprint(n)
	c.Spec.Keep = append(c.Spec.Keep, "Semaphore.init")

	name, newName := c.D.Name, stencil.Rename("New", "Semaphore", c.D.Name)
	// // NewDBSlots returns a semaphore of capacity 16.
	// func NewDBSlots() *DBSlots {
	// 	s := &DBSlots{}
	// 	s.init()
	// 	return s
	// }
	s := c.Scope.Func().Name("s")
	ctor := jen.Commentf("%s returns a semaphore of capacity %d.", newName, n).Line().
		Func().Id(newName).Params().Op("*").Id(name).Block(
		jen.Id(s).Op(":=").Op("&").Id(name).Values(),
		jen.Id(s).Dot("init").Call(),
		jen.Return(jen.Id(s)),
	)
	c.Emit = append(c.Emit, fmt.Sprintf("%#v", ctor))
	return nil
}
