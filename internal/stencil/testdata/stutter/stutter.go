package stutter

// Queue holds items.
type Queue[T any] struct {
	slots []queueSlot[T]
	spare slot[T]
	w     window
}

type queueSlot[T any] struct{ item T }

type slot[T any] struct{ items []T }

type window struct{ n int }

type storeValue struct{ n int }

func (q *Queue[T]) Len() int { return len(q.slots) + len(q.spare.items) + q.w.n + storeValue{}.n }
