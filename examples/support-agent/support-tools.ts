import { randomUUID } from 'node:crypto';
import { tool } from 'ai';
import { z } from 'zod';
import { recordApproval, recordAuthority, recordDataAccess } from '../../packages/agent-audit-otel/src/index.ts';

/** Facts the tools record with the audit attribute convention; made up, like the orders. */
export const AUDIT_FACTS = {
  ordersTable: 'postgresql:shop.orders',
  ordersCredential: { type: 'workload_identity', id: 'spiffe://shop/support-agent', lifetime: 'short_lived' },
  refundsEndpoint: 'https://payments.shop.example/refunds',
  // A shared key that is never rotated: the timeline reports it as a
  // long_lived_credential finding on the refund.
  refundsCredential: { type: 'static_key', id: 'payments-key-2019', lifetime: 'long_lived' },
  refundApprover: 'supervisor-bob',
  refundPolicyRule: 'refunds-need-approval',
} as const;

type OrderLine = { sku: string; description: string; priceCents: number };

type Order = {
  orderId: string;
  status: 'processing' | 'shipped' | 'delivered';
  currency: string;
  lines: OrderLine[];
};

/** Made-up orders that stand in for the shop's order database. */
const ORDERS: ReadonlyMap<string, Order> = new Map([
  [
    'ORD-20417',
    {
      orderId: 'ORD-20417',
      status: 'delivered',
      currency: 'USD',
      lines: [
        { sku: 'MUG-CER-12', description: 'Ceramic mug, 12 oz', priceCents: 2499 },
        { sku: 'TEA-EARL-50', description: 'Earl Grey tea, 50 bags', priceCents: 1150 },
      ],
    },
  ],
]);

function totalCents(order: Order): number {
  return order.lines.reduce((sum, line) => sum + line.priceCents, 0);
}

function findOrder(orderId: string): Order {
  const order = ORDERS.get(orderId);
  if (order === undefined) {
    throw new Error(`order ${orderId} not found`);
  }
  return order;
}

/**
 * Creates the support tools. Refunds are kept per tool set, so each agent
 * run starts with no refunds issued.
 */
export function createSupportTools() {
  const refundedCents = new Map<string, number>();

  return {
    lookup_order: tool({
      description: 'Look up an order by its id: status, lines and total.',
      inputSchema: z.object({
        orderId: z.string().describe('Order id as printed on the receipt, e.g. ORD-20417'),
      }),
      execute: async ({ orderId }) => {
        const order = findOrder(orderId);
        recordAuthority({ credential: AUDIT_FACTS.ordersCredential });
        recordDataAccess({ resource: AUDIT_FACTS.ordersTable, operation: 'read', count: 1, classification: 'pii' });
        return { ...order, totalCents: totalCents(order) };
      },
    }),

    issue_refund: tool({
      description: 'Refund part or all of an order to the original payment method.',
      inputSchema: z.object({
        orderId: z.string(),
        amountCents: z.number().int().positive(),
        reason: z.string().min(1),
      }),
      execute: async ({ orderId, amountCents, reason }, { toolCallId }) => {
        // A supervisor approves every refund. This scripted decision replaces a
        // real approval step and is recorded on this call's own span.
        recordApproval({
          approvalId: `apr-${toolCallId}`,
          requestedAt: new Date(),
          decision: 'granted',
          decidedBy: AUDIT_FACTS.refundApprover,
          policyRule: AUDIT_FACTS.refundPolicyRule,
          reason: 'damaged item, amount within the order total',
          toolCallId,
          toolName: 'issue_refund',
          toolArguments: { orderId, amountCents, reason },
        });
        recordAuthority({ credential: AUDIT_FACTS.refundsCredential });
        recordDataAccess({ resource: AUDIT_FACTS.refundsEndpoint, operation: 'write', count: 1, classification: 'confidential' });
        const order = findOrder(orderId);
        const alreadyRefunded = refundedCents.get(orderId) ?? 0;
        const refundable = totalCents(order) - alreadyRefunded;
        if (amountCents > refundable) {
          throw new Error(
            `refund of ${amountCents} cents exceeds the ${refundable} cents still refundable on order ${orderId}`,
          );
        }
        refundedCents.set(orderId, alreadyRefunded + amountCents);
        return {
          refundId: `rf_${randomUUID()}`,
          orderId,
          amountCents,
          currency: order.currency,
          reason,
          status: 'pending',
        };
      },
    }),
  };
}
