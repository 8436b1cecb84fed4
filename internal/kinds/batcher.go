package kinds

import (
	"fmt"
	"go/types"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/monogen/monogen/internal/stencil"
)

// //monogen:batcher Name[T] size=N flush=D fn=f onerror=g workers=N retries=N
func init() {
	Register(&Kind{
		Name:     "batcher",
		Template: "batcher",
		Main:     "Batcher",
		Params:   []string{"T"},
		Doc:      "collects items into batches for a function: Name[T] size=N flush=D fn=f onerror=g workers=N retries=N",
		Options: []OptionSpec{
			{Key: "size", Type: Int, Min: 1, Max: 1 << 24, Doc: "items that make a batch full, 1 to 16777216 (default 500)"},
			{Key: "flush", Type: Duration, Doc: "longest an item waits for its batch to fill (default 0: batches go out only when full, on Flush and on Close; no timer code)"},
			{Key: "fn", Type: Func, Doc: "package-level batch function, called directly: func(context.Context, []T) error or func([]T) error; without it the constructor takes the function"},
			{Key: "onerror", Type: Func, Doc: "package-level func([]T, error) receiving each batch that failed after every retry; without it the constructor takes the handler"},
			{Key: "workers", Type: Int, Min: 1, Max: 1 << 16, Doc: "goroutines calling the batch function, 1 to 65536 (default 1)"},
			{Key: "retries", Type: Int, Min: 0, Max: 1000, Doc: "further attempts of a failed batch, 0 to 1000 (default 0: no retry code)"},
			configOption,
		},
		Build: buildBatcher,
		Bench: benchBatcher,
	})
}

func buildBatcher(c *Context) error {
	// The template's New fills these defaults; here they are constants.
	configInt(c, "size", "Size", 500)
	configInt(c, "workers", "Workers", 1)
	// BatchError's doc speaks of retries only where the directive has them.
	c.Spec.Conds["retries"] = configInt(c, "retries", "Retries", 0) > 0
	configDuration(c, "flush", "Flush")

	items := types.NewSlice(c.Types["T"])
	fnBound := false
	if o := c.D.Option("fn"); o != nil {
		forms := []sigForm{
			{newSig([]types.Type{contextType(c.Self), items}, []types.Type{errorType}), "return %s(ctx, items)"},
			{newSig([]types.Type{items}, []types.Type{errorType}), "return %s(items)"},
		}
		body, err := bindForms(c, o, "batch function", forms)
		if err != nil {
			return err
		}
		c.Spec.Hooks["Batcher.call"] = body
		c.Spec.HookDocs["Batcher.call"] = fmt.Sprintf("call passes a batch to %s, the directive's fn=.", stencil.User(o.Raw))
		fnBound = true
	}
	c.Spec.Conds["boundFn"] = fnBound

	errBound := false
	if o := c.D.Option("onerror"); o != nil {
		forms := []sigForm{{newSig([]types.Type{items, errorType}, nil), "%s(items, err)"}}
		body, err := bindForms(c, o, "error handler", forms)
		if err != nil {
			return err
		}
		c.Spec.Hooks["Batcher.report"] = body
		c.Spec.HookDocs["Batcher.report"] = fmt.Sprintf("report passes a batch that failed%s to %s, the directive's onerror=.", batcherAfterRetries(c), stencil.User(o.Raw))
		errBound = true
	}
	c.Spec.Conds["boundOnError"] = errBound

	c.Spec.Rename["ErrClosed"] = errName(c.D.Name, "Closed")
	c.Spec.Drop = append(c.Spec.Drop, "DefaultSize", "DefaultWorkers")
	c.Spec.Keep = append(c.Spec.Keep, "Batcher.init")
	c.Emit = append(c.Emit, batcherConstructor(c, fnBound, errBound))
	return nil
}

// batcherAfterRetries is what the docs say of a failed batch: " after
// every retry" when the directive has retries=, nothing otherwise.
func batcherAfterRetries(c *Context) string {
	if c.Spec.Conds["retries"] {
		return " after every retry"
	}
	return ""
}

// batcherConstructor returns the source of New<Name>, which takes the
// functions the directive did not bind, builds the batcher as the
// template's New does and calls init.
func batcherConstructor(c *Context, fnBound, errBound bool) string {
	name := c.D.Name
	ctor := newName(c)
	t := c.Type("T")
	locals := c.Scope.Func()
	var params []jen.Code
	fields := jen.Dict{}
	docs := []string{fmt.Sprintf("%s returns a %s with its workers started.", ctor, name)}
	if !fnBound {
		// fn func(context.Context, []T) error
		fn := locals.Name("fn")
		params = append(params, jen.Id(fn).Func().Params(jen.Id(c.Scope.Import("context")).Dot("Context"), jen.Index().Id(t)).Error())
		fields[jen.Id("fn")] = jen.Id(fn)
		docs = append(docs, fn+" receives every batch on a worker goroutine; the slice is reused once it returns.")
	}
	if !errBound {
		// onError func([]T, error)
		onError := locals.Name("onError")
		params = append(params, jen.Id(onError).Func().Params(jen.Index().Id(t), jen.Error()))
		fields[jen.Id("onError")] = jen.Id(onError)
		docs = append(docs, onError+", if not nil, receives each batch that failed"+batcherAfterRetries(c)+"; if nil, failed batches are returned by the next Flush or Close.")
	}
	var body []jen.Code
	if runtimeConfig(c) {
		flush := runtimeField{"Flush", c.Spec.Config["Flush"], "Flush is how long an item may wait in a batch that is not full before the batch is handed over. " + zeroTakes(c, "flush", "")}
		if c.Spec.Config["Flush"] == "0" {
			flush = runtimeField{"Flush", "", "Flush is how long an item may wait in a batch that is not full before the batch is handed over. Zero means no timer: a batch waits until it is full or flushed."}
		}
		param, cfg, defaults := keepConfig(c, locals,
			runtimeField{"Size", c.Spec.Config["Size"], "Size is the number of items in a full batch, at least 1. " + zeroTakes(c, "size", c.Spec.Config["Size"])},
			flush)
		params = append(params, param)
		body = defaults
		fields[jen.Id("cfg")] = jen.Id(cfg)
		docs = append(docs, fmt.Sprintf("It panics if %s.Size or %s.Flush is negative.", cfg, cfg))
	}
	b := locals.Name("b")
	docs = append(docs, "Close hands over the last batch and stops the workers.")
	// func NewWrites(onError func([]Row, error)) *Writes {
	//	b := &Writes{onError: onError}
	//	b.init()
	//	return b
	// }
	body = append(body,
		jen.Id(b).Op(":=").Op("&").Id(name).Values(fields),
		jen.Id(b).Dot("init").Call(),
		jen.Return(jen.Id(b)),
	)
	fn := jen.Func().Id(ctor).Params(params...).Op("*").Id(name).Block(body...)
	return docLines("// "+strings.Join(docs, " ")) + "\n" + fmt.Sprintf("%#v", fn)
}
