#!/usr/bin/env node
import { createRekeyApp } from '../lib/app';

createRekeyApp().app.synth();
