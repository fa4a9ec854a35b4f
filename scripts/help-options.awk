# help-options.awk — the options a `sockit SUB --help` text documents, one
# per line as "OPTION[ VALUE]" (VALUE: the placeholder after it, as in
# "--config FILE").  An option line is one indented by 1-8 spaces whose
# text starts with '-'; every -x and --long on it counts (the sockets help
# has two columns).  Deeper-indented lines are descriptions, skipped.
# Used by gen-completion.sh and by the man page consistency test.
# A value is the upper-case word one space after an option; two spaces
# or more start the description (marked "|" so they never join), and in
# "-c, --config FILE" the short option shares the long one's value.
match($0, /^ +-/) && RLENGTH <= 9 {
	line = $0
	gsub(/   */, " | ", line)
	n = split(line, f, /[][ ,\/=():;'"]+/)
	for (i = n; i >= 1; i--) {
		if (f[i] !~ /^--[a-z0-9][a-z0-9-]*$/ && f[i] !~ /^-[A-Za-z0-9]$/)
			continue
		val = ""
		if (i < n && f[i + 1] ~ /^[A-Z][A-Z0-9_|.]*$/ && f[i + 1] != "|")
			val = f[i + 1]
		else if (i < n && f[i + 1] ~ /^--/)
			val = value[f[i + 1]]
		value[f[i]] = val
		order[++k] = f[i]
	}
	for (; k >= 1; k--) {
		o = order[k]
		if (!(o in seen)) {
			seen[o] = 1
			print (value[o] == "" ? o : o " " value[o])
		}
	}
	k = 0
}
