/** Builds the web application: middleware pipeline, routes per area, error handling. */
import { logOf } from '../core/ops/log.ts';
import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { DomainError, ForbiddenError, NotFoundError } from '../core/errors.ts';
import { authRoutes } from './auth/routes.tsx';
import { callerListRoutes } from './callcenter/caller-lists.tsx';
import { groupRoutes } from './callcenter/groups.tsx';
import { hotlineRoutes } from './callcenter/hotlines.tsx';
import { ivrRoutes } from './callcenter/ivrs.tsx';
import { numberRoutes } from './callcenter/numbers.tsx';
import { ivrLogRoutes } from './calls/ivr-log.tsx';
import { lostCallRoutes } from './calls/lost.tsx';
import { supervisorRoutes } from './supervisor/workbench.tsx';
import { callRoutes, inboundCallRoutes, outboundCallRoutes } from './calls/records.tsx';
import { pbxRoutes } from './callcenter/pbx.tsx';
import { promptRoutes } from './callcenter/prompts.tsx';
import { trunkRoutes } from './callcenter/trunks.tsx';
import { phoneRoutes } from './desk/phone.tsx';
import { deskRoutes } from './desk/desk.tsx';
import { deskSettingsRoutes } from './desk/settings.tsx';
import type { AppDeps, AppEnv } from './env.ts';
import { exportPages } from './export-routes.tsx';
import { errorKey } from './i18n/index.ts';
import {
  bodyCap,
  csrfGuard,
  hostGuard,
  requestContext,
  requireLogin,
  sessionLoader,
  setupGate,
} from './middleware.ts';
import { accessLog } from './ops/access-log.ts';
import { createMetrics, timeRequests } from './ops/metrics.ts';
import { opsRoutes } from './ops/routes.ts';
import { reportRoutes } from './reports/reports.tsx';
import { rulesRoutes } from './reports/rules.tsx';
import { staffingRoutes } from './reports/staffing.tsx';
import { staticRoutes } from './static.ts';
import { auditRoutes } from './system/audit.tsx';
import { departmentRoutes } from './system/departments.tsx';
import { employeeRoutes } from './system/employees.tsx';
import { roleRoutes } from './system/roles.tsx';
import { errorPage } from './views/error-page.tsx';
import { wallboardRoutes } from './wallboard/wallboard.tsx';

export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        mediaSrc: ["'self'", 'blob:'],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
      },
      referrerPolicy: 'same-origin',
    }),
  );
  app.route('/static', staticRoutes);
  const metrics = createMetrics(deps);
  app.use(
    requestContext(deps),
    accessLog,
    timeRequests(metrics),
    hostGuard,
    sessionLoader,
    bodyCap,
    setupGate,
    csrfGuard,
    requireLogin,
  );
  app.route('/', opsRoutes(metrics));
  app.route('/', authRoutes);
  app.route('/desk/phone', phoneRoutes);
  app.route('/desk', deskRoutes);
  app.route('/callcenter/desk', deskSettingsRoutes);
  app.route('/callcenter/pbx', pbxRoutes);
  app.route('/callcenter/trunks', trunkRoutes);
  app.route('/callcenter/numbers', numberRoutes);
  app.route('/callcenter/prompts', promptRoutes);
  app.route('/callcenter/ivrs', ivrRoutes);
  app.route('/callcenter/hotlines', hotlineRoutes);
  app.route('/callcenter/groups', groupRoutes);
  app.route('/callcenter/blacklist', callerListRoutes('blacklist'));
  app.route('/callcenter/vip', callerListRoutes('vip'));
  app.route('/calls/ivr', ivrLogRoutes);
  app.route('/calls/lost', lostCallRoutes);
  app.route('/calls/inbound', inboundCallRoutes);
  app.route('/calls/outbound', outboundCallRoutes);
  app.route('/supervisor', supervisorRoutes);
  app.route('/calls', callRoutes);
  app.route('/system/departments', departmentRoutes);
  app.route('/system/roles', roleRoutes);
  app.route('/system/employees', employeeRoutes);
  app.route('/system/audit', auditRoutes);
  app.route('/exports', exportPages);
  app.route('/reports/rules', rulesRoutes);
  app.route('/reports/staffing', staffingRoutes);
  app.route('/reports', reportRoutes);
  app.route('/wallboard', wallboardRoutes);

  app.notFound((c) => errorPage(c, 404, 'err.not_found'));
  app.onError((err, c) => {
    if (err instanceof ForbiddenError) return errorPage(c, 403, 'err.forbidden');
    if (err instanceof NotFoundError) return errorPage(c, 404, 'err.not_found');
    if (err instanceof DomainError) return errorPage(c, 409, errorKey(err.code), err.params);
    logOf('web').error(`${c.req.method} ${c.req.path} failed`, { err });
    return errorPage(c, 500, 'err.server');
  });
  return app;
}
