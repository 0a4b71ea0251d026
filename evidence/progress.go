package evidence

// Progress receives progress of long work. Implementations must be cheap;
// the zero behaviour is NoProgress.
type Progress interface {
	// Begin starts a phase; total is in bytes, or -1 when unknown.
	Begin(label string, total int64)
	// Advance adds n bytes done.
	Advance(n int64)
	// End finishes the phase.
	End()
}

// NoProgress discards progress.
type NoProgress struct{}

func (NoProgress) Begin(string, int64) {}
func (NoProgress) Advance(int64)       {}
func (NoProgress) End()                {}
