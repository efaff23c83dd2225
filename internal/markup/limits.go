package markup

// GitHub's limits on what it accepts, with its own words where it gives
// them. Some count bytes and some characters, as GitHub does; the names say
// which.
const (
	// MaxSummaryBytes: the runner's AttachmentSizeLimit for a step's
	// $GITHUB_STEP_SUMMARY; above it the runner says "upload aborted" and
	// the summary is dropped whole.
	MaxSummaryBytes = 1 << 20
	// MaxCommentChars: "Body is too long (maximum is 65536 characters)".
	MaxCommentChars = 65536
	// MaxCheckOutputBytes bounds a check run's output summary and text:
	// "summary exceeds a maximum bytesize of 65535".
	MaxCheckOutputBytes = 65535
	// MaxStatusDescriptionChars: "description is too long (maximum is 140
	// characters)".
	MaxStatusDescriptionChars = 140
	// MaxAnnotationsPerRequest: "No more than 50 items are allowed" in one
	// check-run update.
	MaxAnnotationsPerRequest = 50
	// MaxAnnotationTitleChars: an annotation's title, "The maximum size is
	// 255 characters".
	MaxAnnotationTitleChars = 255
	// MaxAnnotationMessageChars: an annotation's message, "The maximum size
	// is 64 KB".
	MaxAnnotationMessageChars = 64 << 10
)
