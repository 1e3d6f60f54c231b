package generator

func indexLen(x *leakIndex) int { return len(x.pats) }
