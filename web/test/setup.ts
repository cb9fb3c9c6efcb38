// Test set-up: English UI text unless a test switches, and every rendered tree unmounted
// after each test.
import { afterEach } from 'vitest';
import { cleanup } from '@testing-library/preact';

localStorage.setItem('kizuna.lang', 'en');
afterEach(() => cleanup());
