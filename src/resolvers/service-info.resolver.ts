import { Field, ObjectType, Query, Resolver } from 'type-graphql';
import { SERVICE_VERSION } from '../service-info';

@ObjectType({ description: 'Which build of the Order Service answered' })
export class OrderServiceInfo {
  @Field(() => String)
  name!: string;

  @Field(() => String)
  version!: string;
}

@Resolver()
export class ServiceInfoResolver {
  @Query(() => OrderServiceInfo, { description: 'Name and version of the Order Service subgraph' })
  orderServiceInfo(): OrderServiceInfo {
    return { name: 'order-service', version: SERVICE_VERSION };
  }
}
