# framework/env sources
