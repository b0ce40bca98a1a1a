#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { buildExampleApp } from './example-app';

buildExampleApp(new App()).synth();
