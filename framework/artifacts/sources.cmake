# framework/artifacts sources
