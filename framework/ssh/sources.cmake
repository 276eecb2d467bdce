# framework/ssh sources
