// Package testtypes holds generated types the exporters' tests read.
package testtypes

import (
	"context"
	"strconv"
)

//monogen:pool Squares[int, int] workers=2 fn=square metrics=true
//monogen:pipeline Digits[int, int, string] stages=double,format metrics=true
//monogen:breaker Guard[int, int] fn=square failures=2
//monogen:respool Conns[*Conn] max=1 new=dial metrics=true
//monogen:ratelimit Paced algo=token rate=1000/s metrics=true

// Conn is a resource of Conns.
type Conn struct{}

func dial() (*Conn, error) { return &Conn{}, nil }

func square(_ context.Context, x int) (int, error) { return x * x, nil }

func double(_ context.Context, x int) (int, error) { return 2 * x, nil }

func format(_ context.Context, x int) (string, error) { return strconv.Itoa(x), nil }
