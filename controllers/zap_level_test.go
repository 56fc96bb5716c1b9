package controllers_test

import "go.uber.org/zap/zapcore"

type zapLevelT = zapcore.Level
