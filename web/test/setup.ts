// Tokyo, not the machine's zone (often UTC): a date shown in local time instead of as its
// calendar day would then be off by one, and the format tests would catch it.
process.env.TZ = 'Asia/Tokyo';
// Test set-up: English UI text unless a test switches, and every rendered tree unmounted
// after each test.
import { afterEach } from 'vitest';
import { cleanup } from '@testing-library/preact';

localStorage.setItem('kizuna.lang', 'en');
afterEach(() => cleanup());
