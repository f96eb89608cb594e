package httpapi

import (
	"github.com/ehelse/portfolio/projections"
	"github.com/ehelse/portfolio/services"
)

// The product's implementations satisfy the consumer-side interfaces.
var (
	_ Authenticator = (*services.Authenticator)(nil)
	_ Executor      = (*services.CommandService)(nil)
	_ Queries       = (*projections.ReadModels)(nil)
	_ History       = (*services.History)(nil)
)
